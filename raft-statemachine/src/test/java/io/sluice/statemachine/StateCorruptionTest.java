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

  /**
   * The same damage found by a read instead (as when it appears while the node runs): the read
   * fails with a {@link StorageCorruptException}, it does not end early and return less than is
   * stored as if that were all (RocksDB's iterator just stops; only its status tells).
   */
  @Test
  void aReadThatHitsADamagedBlockFailsLoudly() throws Exception {
    Path db = tmp.resolve("db");
    try (LogCore core = LogCore.open(db)) {
      CoreScript s = new CoreScript(core);
      s.run("create-topic t 1");
      for (int i = 0; i < 200; i++) {
        s.run("append t/0:20");
      }
    }
    Path sst;
    try (Stream<Path> walk = Files.list(db)) {
      sst = walk.filter(p -> p.getFileName().toString().endsWith(".sst")).max(java.util.Comparator.comparingLong(p -> {
        try {
          return Files.size(p);
        } catch (java.io.IOException e) {
          return 0;
        }
      })).orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(sst);
    bytes[bytes.length / 4] ^= 0x5a;
    Files.write(sst, bytes);
    try (LogCore core = LogCore.open(db)) { // open reads little: the damage is not found here
      long stored = core.topicView("t").orElseThrow().partitions().get(0).getNextOffset();
      java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class, () -> {
        long offset = 0;
        while (offset < stored) {
          LogCore.ReadResult r = core.read("t", 0, offset, 1 << 20);
          assertTrue(!r.batches().isEmpty(), "a read at " + offset + " of " + stored + " returned nothing");
          offset = io.sluice.protocol.RecordBatch.lastOffset(java.nio.ByteBuffer.wrap(r.batches().get(r.batches().size() - 1))) + 1;
        }
      });
      assertTrue(e.getCause() instanceof StorageCorruptException, String.valueOf(e.getCause()));
    }
  }
}
