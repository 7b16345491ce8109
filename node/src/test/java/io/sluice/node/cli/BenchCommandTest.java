package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.PublicTestCluster;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice bench}: usage errors exit 2 with one line saying what is wrong; short runs against
 * an in-JVM cluster print figures that agree with each other and with what was written (never
 * with a speed: the machine may be loaded).
 */
class BenchCommandTest {

  private static CliRun usage(String... args) {
    CliRun run = CliRun.run(args);
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    return run;
  }

  @Test
  void argumentErrorsAreUsageErrorsThatSayWhatIsWrong() {
    assertTrue(usage("bench").err().contains("missing benchmark: produce, consume or e2e"));
    assertTrue(usage("bench", "produce").err().contains("--topic"));
    assertTrue(usage("bench", "produce", "--topic", "t", "--records", "0").err()
        .contains("--records must be positive, got 0"));
    assertTrue(usage("bench", "produce", "--topic", "t", "--duration-s", "-1").err()
        .contains("--duration-s must be positive"));
    assertTrue(usage("bench", "produce", "--topic", "t", "--target-rate", "fast").err()
        .contains("--target-rate must be a positive number of records/s or 'unlimited', got 'fast'"));
    assertTrue(usage("bench", "produce", "--topic", "t", "--compression", "gzip2").err()
        .contains("--compression: unknown compression 'gzip2'; use none, lz4 or zstd"));
    assertTrue(usage("bench", "produce", "--topic", "t", "--producers", "0").err()
        .contains("--producers must be positive"));
    assertTrue(usage("bench", "produce", "--topic", "t", "--warmup-records", "-5").err()
        .contains("--warmup-records must not be negative"));
    assertTrue(usage("bench", "e2e", "--topic", "t", "--record-size", "10").err()
        .contains("--record-size must be at least 24 for e2e"));
    assertTrue(usage("bench", "e2e", "--topic", "t", "--target-rate", "0").err()
        .contains("--target-rate"));
    assertTrue(usage("bench", "consume", "--topic", "t", "--fetch-bytes", "0").err()
        .contains("--fetch-bytes must be positive"));
    for (String line : usage("bench", "produce", "--topic", "t", "--records", "0").errLines()) {
      assertTrue(line.startsWith("sluice: error: "), line);
    }
  }

  @Test
  void progressLinesCoverTheirIntervalAndTheResultTheWholeRun() {
    long start = 1_000_000_000L;
    BenchStats stats = new BenchStats(true, start);
    for (int i = 1; i <= 100; i++) {
      stats.recordSuccess(1024, i * 1_000_000L, start + i * 10_000_000L); // 1..100 ms, one every 10 ms
    }
    java.io.StringWriter text = new java.io.StringWriter();
    stats.progress("acknowledged", start + 2_000_000_000L, new java.io.PrintWriter(text));
    assertEquals("100 records acknowledged, 50.0 records/s (0.05 MiB/s), 50.50 ms avg latency, 99.01 ms p99,"
        + " 100.03 ms max", text.toString().strip());
    stats.recordSuccess(1024, 1_000_000L, start + 2_500_000_000L); // 1.5 s after the previous one
    stats.recordError(new RuntimeException("boom"));
    text.getBuffer().setLength(0);
    stats.progress("acknowledged", start + 3_000_000_000L, new java.io.PrintWriter(text));
    assertEquals("1 records acknowledged, 1.0 records/s (0.00 MiB/s), 1.00 ms avg latency, 1.00 ms p99,"
        + " 1.00 ms max, 1 errors so far", text.toString().strip());
    BenchStats.Result result = stats.finish(start + 4_000_000_000L);
    assertEquals(101, result.records());
    assertEquals(1, result.errors());
    assertEquals(4.0, result.seconds(), 1e-9);
    assertEquals(101 / 4.0, result.recordsPerSecond(), 1e-9);
    assertEquals(101 * 1024 / 1048576.0 / 4.0, result.mibPerSecond(), 1e-9);
    assertEquals(50.0, result.latency().p50Ms(), 0.1);
    assertEquals(100.0, result.latency().maxMs(), 0.1);
    assertEquals("records=101 seconds=4.000 records/s=25.3 MiB/s=0.02 latency-ms avg=50.013 p50=50.015"
        + " p99=99.007 p99.9=100.031 max=100.031 errors=1 gap-ms max=1500.000 at-s=2.500", result.line());
    assertEquals(1500.0, result.successGapMaxMs(), 1e-9, "the longest time without an acknowledgement");
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  class AgainstACluster {
    PublicTestCluster cluster;

    @BeforeAll
    void start(@TempDir Path tmp) throws Exception {
      cluster = PublicTestCluster.start(tmp, 3);
    }

    @AfterAll
    void stop() {
      cluster.close();
    }

    private CliRun ok(String... args) {
      String[] all = new String[args.length + 2];
      System.arraycopy(args, 0, all, 0, args.length);
      all[args.length] = "--bootstrap";
      all[args.length + 1] = cluster.bootstrap();
      CliRun run = CliRun.run(all);
      assertEquals(SluiceCli.EXIT_OK, run.exitCode(), run.toString());
      return run;
    }

    @Test
    void produceThenConsumeReportConsistentFigures() {
      CliRun produce = ok("bench", "produce", "--topic", "b1", "--partitions", "3", "--records", "3000",
          "--record-size", "200", "--warmup-records", "500", "--producers", "2", "--json", "--progress-ms", "100");
      String json = produce.out();
      assertEquals(3000, num(json, "records"));
      assertEquals(0, num(json, "errors"));
      assertConsistent(json, 200);
      assertLatencies(json);

      // The topic holds the warm-up and the measured records: consume reads them all.
      CliRun consume = ok("bench", "consume", "--topic", "b1", "--records", "100000", "--json");
      assertEquals(3500, num(consume.out(), "records"), consume.out());
      assertEquals(0, num(consume.out(), "errors"));
      assertConsistent(consume.out(), 200);
      assertNull(numOrNull(consume.out(), "latency_p50_ms"), "consume measures no latency");

      // Compressed batches (zstd) are produced and consumed back in full.
      CliRun zstd = ok("bench", "produce", "--topic", "b1z", "--partitions", "2", "--records", "2000",
          "--record-size", "200", "--compression", "zstd", "--json");
      assertEquals(0, num(zstd.out(), "errors"));
      assertEquals(2000, num(ok("bench", "consume", "--topic", "b1z", "--records", "100000", "--json").out(), "records"));

      // After a warm-up, reading to the end counts every record the warm-up did not count, even
      // when the warm-up's last poll returned more than it needed (small fetches: many polls).
      CliRun rest = ok("bench", "consume", "--topic", "b1", "--records", "100000", "--warmup-records", "150",
          "--fetch-bytes", "8192", "--json");
      assertEquals(3350, num(rest.out(), "records"), rest.toString());

      CliRun some = ok("bench", "consume", "--topic", "b1", "--records", "1000", "--warmup-records", "100");
      Matcher m = Pattern.compile("^records=1000 seconds=\\S+ records/s=\\S+ MiB/s=\\S+ errors=0$", Pattern.MULTILINE)
          .matcher(some.out());
      assertTrue(m.find(), "summary line: " + some.out());
    }

    @Test
    void e2eOneAtATimeAndAtAFixedRate() {
      CliRun one = ok("bench", "e2e", "--topic", "b2", "--partitions", "2", "--records", "200",
          "--warmup-records", "20", "--record-size", "64", "--json");
      assertEquals(200, num(one.out(), "records"));
      assertEquals(0, num(one.out(), "errors"));
      assertConsistent(one.out(), 64);
      assertLatencies(one.out());

      CliRun paced = ok("bench", "e2e", "--topic", "b2", "--records", "400", "--target-rate", "400",
          "--record-size", "100");
      Matcher m = Pattern.compile("^records=400 seconds=(\\S+) records/s=(\\S+) MiB/s=\\S+ latency-ms avg=\\S+"
          + " p50=\\S+ p99=\\S+ p99\\.9=\\S+ max=\\S+ errors=0 gap-ms max=\\S+ at-s=\\S+$",
          Pattern.MULTILINE).matcher(paced.out());
      assertTrue(m.find(), "summary line: " + paced.out());
      // 400 records at 400/s cannot take less than about a second (the last one is sent at 0.9975 s).
      assertTrue(Double.parseDouble(m.group(1)) >= 0.99, "paced run took " + m.group(1) + " s");
    }

    @Test
    void aTopicWithOtherPartitionsOrNoneIsAnError() {
      ok("bench", "produce", "--topic", "b3", "--partitions", "2", "--records", "10");
      CliRun wrong = CliRun.run("bench", "produce", "--topic", "b3", "--partitions", "4", "--records", "10",
          "--bootstrap", cluster.bootstrap());
      assertEquals(SluiceCli.EXIT_FAILED, wrong.exitCode(), wrong.toString());
      assertTrue(wrong.err().contains("topic 'b3' exists with 2 partitions, not 4"), wrong.toString());
      CliRun missing = CliRun.run("bench", "produce", "--topic", "nothere", "--records", "10",
          "--bootstrap", cluster.bootstrap());
      assertEquals(SluiceCli.EXIT_FAILED, missing.exitCode(), missing.toString());
      assertTrue(missing.err().contains("topic 'nothere' does not exist; create it or pass --partitions N"));
    }

    /** records/s = records / seconds and MiB/s = records * size / MiB / seconds, to rounding. */
    private void assertConsistent(String json, int recordSize) {
      double records = num(json, "records");
      double seconds = num(json, "seconds");
      assertTrue(seconds > 0, json);
      assertEquals(records / seconds, num(json, "records_per_s"), records / seconds * 0.01 + 0.01, json);
      double mib = records * recordSize / 1048576.0 / seconds;
      assertEquals(mib, num(json, "mib_per_s"), mib * 0.01 + 0.01, json);
    }

    private void assertLatencies(String json) {
      double p50 = num(json, "latency_p50_ms");
      double p99 = num(json, "latency_p99_ms");
      double p999 = num(json, "latency_p999_ms");
      double max = num(json, "latency_max_ms");
      double avg = num(json, "latency_avg_ms");
      assertTrue(0 < p50 && p50 <= p99 && p99 <= p999 && p999 <= max && avg <= max && avg > 0, json);
    }
  }

  private static double num(String json, String key) {
    Double v = numOrNull(json, key);
    if (v == null) {
      throw new AssertionError(key + " is null in " + json);
    }
    return v;
  }

  private static Double numOrNull(String json, String key) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\": ([^,\\n]+)").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no " + key + " in " + json);
    }
    return m.group(1).equals("null") ? null : Double.valueOf(m.group(1));
  }
}
