package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live state database damaged at rest: a byte flipped in the middle of an SST file (in a
 * data block, which RocksDB's open does not read). {@link LogCore#verifyChecksums} (run on every
 * start by the state machine) finds it as a {@link StorageCorruptException}, the type the node
 * recovers from; without the check, the state opens and the damage waits for the first read.
 */
class StateCorruptionTest {
  @TempDir
  Path tmp;

  @Test
  void aFlippedByteInALiveSstIsFoundOnStartAsCorruption() throws Exception {
    Path db = tmp.resolve("db");
    try (LogCore core = LogCore.open(db)) {
      CoreScript s = new CoreScript(core);
      s.run("create-topic t 1");
      for (int i = 0; i < 50; i++) {
        s.run("append t/0:20");
      }
    } // close flushes: the state is in SST files
    List<Path> ssts;
    try (Stream<Path> walk = Files.list(db)) {
      ssts = walk.filter(p -> p.getFileName().toString().endsWith(".sst")).sorted().toList();
    }
    assertTrue(!ssts.isEmpty(), "no SST file in " + db);
    Path sst = ssts.get(0);
    byte[] bytes = Files.readAllBytes(sst);
    bytes[bytes.length / 4] ^= 0x5a; // in the data blocks (the index and footer are at the end)
    Files.write(sst, bytes);
    StorageCorruptException e = assertThrows(StorageCorruptException.class, () -> {
      try (LogCore core = LogCore.open(db)) {
        core.verifyChecksums();
      }
    });
    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
  }
}
