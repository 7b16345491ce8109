package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.internal.v1.Command;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCoreTest {
  @TempDir
  Path tmp;

  /** A seeded random workload of script lines (topics, appends, deletes). */
  private static List<String> workload(long seed, int commands) {
    Random random = new Random(seed);
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < commands; i++) {
      int r = random.nextInt(100);
      String topic = "t" + random.nextInt(4);
      if (r < 8) {
        lines.add("create-topic " + topic + " " + (1 + random.nextInt(4)));
      } else if (r < 10) {
        lines.add("delete-topic " + topic);
      } else {
        lines.add("append " + topic + "/" + random.nextInt(4) + ":" + (1 + random.nextInt(20)));
      }
    }
    return lines;
  }

  private static byte[] dump(LogCore core) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    core.forEachEntry((k, v) -> {
      out.writeBytes(k);
      out.write(0);
      out.writeBytes(v);
      out.write(0);
    });
    return out.toByteArray();
  }

  @Test
  void replayingTheSameCommandsGivesIdenticalState() throws IOException {
    long seed = System.nanoTime();
    System.out.println("replay test seed=" + seed + " (reproduce with this seed in workload())");
    List<String> lines = workload(seed, 400);
    byte[] first;
    byte[] second;
    try (LogCore a = LogCore.open(tmp.resolve("a")); LogCore b = LogCore.open(tmp.resolve("b"))) {
      CoreScript sa = new CoreScript(a);
      CoreScript sb = new CoreScript(b);
      List<String> ra = new ArrayList<>();
      List<String> rb = new ArrayList<>();
      for (String line : lines) {
        ra.add(sa.run(line));
        rb.add(sb.run(line));
      }
      assertEquals(ra, rb, "results differ; seed=" + seed);
      first = dump(a);
      second = dump(b);
    }
    assertArrayEquals(first, second, "stored bytes differ; seed=" + seed);
  }

  @Test
  void stateSurvivesReopenAndResumesAfterTheAppliedIndex() throws IOException {
    Path dir = tmp.resolve("db");
    String before;
    try (LogCore core = LogCore.open(dir)) {
      CoreScript s = new CoreScript(core);
      for (String line : workload(42, 200)) {
        s.run(line);
      }
      before = CoreScript.state(core);
    }
    try (LogCore core = LogCore.open(dir)) {
      assertEquals(before, CoreScript.state(core));
      assertEquals(200, core.applied().index());
      Command again = CoreScript.command("create-topic z 1", 1);
      assertThrows(IllegalStateException.class, () -> core.apply(1, 200, again),
          "applying an index twice must fail loudly");
    }
  }

  @Test
  void checkpointRestoresTheSameBytes() throws IOException {
    try (LogCore core = LogCore.open(tmp.resolve("live"))) {
      CoreScript s = new CoreScript(core);
      for (String line : workload(7, 150)) {
        s.run(line);
      }
      core.checkpoint(tmp.resolve("cp"));
      long indexAtCheckpoint = core.applied().index();
      byte[] atCheckpoint = dump(core);
      String stateAtCheckpoint = CoreScript.state(core);
      s.run("create-topic after 1");
      try (LogCore other = LogCore.open(tmp.resolve("other"))) {
        other.replaceWith(tmp.resolve("cp"), indexAtCheckpoint);
        assertArrayEquals(atCheckpoint, dump(other));
        assertEquals(stateAtCheckpoint, CoreScript.state(other));
      }
    }
  }

  @Test
  void rocksDbPropertiesAreReadWhileOpenAndEmptyOnceClosed() throws IOException {
    LogCore core = LogCore.open(tmp.resolve("props"));
    try {
      assertTrue(core.longProperty("rocksdb.cur-size-all-mem-tables").orElse(-1) > 0, "an open database has a memtable");
      assertTrue(core.longProperty("rocksdb.no-such-property").isEmpty(), "an unknown property reads as absent");
    } finally {
      core.close();
    }
    assertTrue(core.longProperty("rocksdb.total-sst-files-size").isEmpty(), "a closed database reads as absent");
  }

  /** The compression of the newest OPTIONS file RocksDB wrote in {@code dir} (one per open). */
  private static String compressionInOptions(Path dir) throws IOException {
    try (var files = java.nio.file.Files.list(dir)) {
      Path newest = files.filter(f -> f.getFileName().toString().startsWith("OPTIONS-"))
          .max(java.util.Comparator.comparing(f -> Long.parseLong(f.getFileName().toString().substring(8))))
          .orElseThrow();
      return java.nio.file.Files.readAllLines(newest).stream().map(String::trim)
          .filter(l -> l.startsWith("compression=")).findFirst().orElseThrow();
    }
  }

  @Test
  void compressionIsConfiguredAndADatabaseReopensWithAnother() throws IOException {
    Path dir = tmp.resolve("compressed");
    String before;
    try (LogCore core = LogCore.open(dir, StorageCompression.ZSTD)) {
      CoreScript s = new CoreScript(core);
      for (String line : workload(11, 200)) {
        s.run(line);
      }
      core.checkpoint(tmp.resolve("cp-zstd")); // flushes the memtable: files written with ZSTD
      before = CoreScript.state(core);
    }
    assertEquals("compression=kZSTD", compressionInOptions(dir));
    try (LogCore core = LogCore.open(dir, StorageCompression.NONE)) {
      assertEquals(before, CoreScript.state(core), "files written with ZSTD read back with NONE configured");
      new CoreScript(core).run("create-topic after 1");
      core.checkpoint(tmp.resolve("cp-none"));
    }
    assertEquals("compression=kNoCompression", compressionInOptions(dir));
    try (LogCore core = LogCore.open(dir)) {
      assertEquals("compression=kLZ4Compression", compressionInOptions(dir), "LZ4 unless configured");
      assertTrue(CoreScript.state(core).contains("after"), CoreScript.state(core));
    }
  }

  @Test
  void compressionNamesParseAndABadOneSaysWhatIsAccepted() {
    for (StorageCompression c : StorageCompression.values()) {
      assertEquals(c, StorageCompression.fromConfig(c.configName()));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StorageCompression.fromConfig("LZ4"));
    assertEquals("must be none, lz4 or zstd, got 'LZ4'", e.getMessage());
  }
}
