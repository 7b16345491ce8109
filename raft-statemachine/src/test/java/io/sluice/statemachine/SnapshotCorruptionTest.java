package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.internal.v1.TopicState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Snapshot loading with damaged or hostile checkpoint files: a byte flipped anywhere in any file
 * of a snapshot (SST, MANIFEST, CURRENT, OPTIONS) either makes {@link LogCore#replaceWith} refuse
 * it with an {@link IOException} naming the snapshot, or (bytes no reader looks at) loads exactly
 * the original state. Found by this test: a flip in the MANIFEST's last record loaded an older
 * state with no checksum error (RocksDB drops a bad tail record); the applied-index check refuses it. Never garbage, never another exception. Bounded: a few dozen tries.
 */
class SnapshotCorruptionTest {
  private static final long SNAPSHOT_INDEX = 21;
  private static Path dir;
  private static Path snapshot;
  private static byte[] originalDigest;
  private static List<Path> files;

  @BeforeContainer
  static void makeSnapshot() throws Exception {
    dir = Files.createTempDirectory("snapshot-fuzz");
    try (LogCore core = LogCore.open(dir.resolve("db"))) {
      CoreScript s = new CoreScript(core);
      s.run("create-topic t 2 retention.ms=60000");
      for (int i = 0; i < 20; i++) {
        s.run("append t/0:5 t/1:3");
      }
      assertEquals(SNAPSHOT_INDEX, core.applied().index());
      snapshot = dir.resolve("snapshot.1_" + SNAPSHOT_INDEX);
      core.checkpoint(snapshot);
      originalDigest = digest(core);
    }
    try (Stream<Path> walk = Files.walk(snapshot)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  @AfterContainer
  static void cleanUp() throws IOException {
    FileTrees.deleteRecursively(dir);
  }

  static byte[] digest(LogCore core) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    core.forEachEntry((k, v) -> {
      md.update(k);
      md.update(v);
    });
    md.update(CoreScript.state(core).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return md.digest();
  }

  @Property(tries = 40)
  void aFlippedByteInAnySnapshotFileIsRefusedOrHarmless(
      @ForAll @IntRange(min = 0, max = 1000) int fileChoice, @ForAll @IntRange(min = 0) int position,
      @ForAll @IntRange(min = 1, max = 255) int xor) throws Exception {
    Path file = files.get(fileChoice % files.size());
    Statistics.label("outcome").collect(flipAndLoad(file, position, xor) + " " + kind(file));
  }

  /** The case the property found: every byte of the MANIFEST's tail, one at a time. */
  @Example
  void aFlippedByteInTheManifestTailIsRefusedOrHarmless() throws Exception {
    Path manifest = files.stream().filter(f -> f.getFileName().toString().startsWith("MANIFEST")).findFirst()
        .orElseThrow();
    long size = Files.size(manifest);
    int refused = 0;
    for (long at = Math.max(0, size - 48); at < size; at++) {
      refused += flipAndLoad(manifest, (int) at, 0x10).equals("refused") ? 1 : 0;
    }
    assertTrue(refused > 0, "no flip in the MANIFEST tail was refused");
  }

  /** Copies the snapshot, flips one byte of {@code file}'s copy, loads it: "refused", "harmless" or "skipped". */
  private static String flipAndLoad(Path file, int position, int xor) throws Exception {
    Path tryDir = Files.createTempDirectory(dir, "try");
    try {
      Path copy = tryDir.resolve("snapshot");
      FileTrees.copyTree(snapshot, copy, name -> true); // a copy: the checkpoint's files are hard links
      Path victim = copy.resolve(snapshot.relativize(file));
      byte[] bytes = Files.readAllBytes(victim);
      if (bytes.length == 0) {
        return "skipped (empty)";
      }
      int at = position % bytes.length;
      bytes[at] ^= (byte) xor;
      Files.write(victim, bytes);
      try (LogCore core = LogCore.open(tryDir.resolve("db"))) {
        try {
          core.replaceWith(copy, SNAPSHOT_INDEX);
        } catch (IOException e) {
          assertTrue(e.getMessage().contains("snapshot") || e.getMessage().contains("corrupt"), e.getMessage());
          return "refused";
        }
        assertArrayEquals(originalDigest, digest(core),
            "loaded a snapshot with byte " + at + " of " + victim.getFileName() + " flipped, and its state differs");
        return "harmless";
      }
    } finally {
      FileTrees.deleteRecursively(tryDir);
    }
  }

  private static String kind(Path p) {
    String name = p.getFileName().toString();
    return name.endsWith(".sst") ? "sst" : name.replaceAll("-.*", "");
  }

  @Property(tries = 1)
  void storedStateThatLiesIsRefusedBeforeAnythingIsSizedByIt() throws Exception {
    Path db = Files.createTempDirectory(dir, "lies");
    try (LogCore core = LogCore.open(db)) {
      new CoreScript(core).run("create-topic t 1");
    }
    try (Options o = new Options(); RocksDB raw = RocksDB.open(o, db.toString())) {
      TopicState t = TopicState.parseFrom(raw.get(Keys.topic("t")));
      raw.put(Keys.topic("t"), t.toBuilder().setPartitions(Integer.MAX_VALUE).build().toByteArray());
    }
    IOException e = assertThrows(IOException.class, () -> LogCore.open(db).close());
    assertTrue(e.getMessage().contains("corrupt") && e.getMessage().contains("2147483647"), e.getMessage());
    try (Options o = new Options(); RocksDB raw = RocksDB.open(o, db.toString())) {
      raw.put(Keys.APPLIED, new byte[] {1, 2, 3});
    }
    e = assertThrows(IOException.class, () -> LogCore.open(db).close());
    assertEquals(true, e.getMessage().contains("corrupt"), e.getMessage());
  }
}
