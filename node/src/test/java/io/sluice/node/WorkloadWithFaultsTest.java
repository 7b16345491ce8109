package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.chaos.checker.CheckerOptions;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.workload.Verify;
import io.sluice.chaos.workload.Workload;
import io.sluice.chaos.workload.WorkloadConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workload library as a fault-injecting harness uses it (the Docker chaos suite does the same
 * with containers): faults recorded in the shared history, liveness measured from the heal, and
 * the verdict and report written next to the history.
 */
@Timeout(value = 480, unit = TimeUnit.SECONDS)
class WorkloadWithFaultsTest {

  @TempDir Path tmp;

  private static final Pattern ACKED_WRITE =
      Pattern.compile("\\{\"index\":(\\d+),.*\"type\":\"ok\",\"f\":\"(send|atomic)\"");

  /** Whether the history (flushed line by line) holds an acknowledged write after event {@code index}. */
  private static boolean ackedAfter(Path history, long index) {
    try {
      for (String line : Files.readAllLines(history)) {
        Matcher m = ACKED_WRITE.matcher(line);
        if (m.find() && Long.parseLong(m.group(1)) >= index) {
          return true;
        }
      }
      return false;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void leaderCrashAndRestartRecordedAsAFaultChecksValidAndLive() throws Exception {
    Path dir = tmp.resolve("run");
    String leader;
    try (TestCluster cluster = TestCluster.start(tmp.resolve("nodes"), 3, Map.of())) {
      WorkloadConfig config = WorkloadConfig.builder(cluster.bootstrap()).seed(99).producerRatePerSecond(50)
          .settleTimeout(Duration.ofSeconds(180)).build(); // replicas catching up at load ~50 took longer than 90 s
      try (HistoryWriter history = HistoryWriter.create(dir.resolve("history.jsonl"));
          Workload workload = new Workload(config, history)) {
        workload.setUp();
        workload.start();
        Thread.sleep(3_000);
        leader = cluster.awaitLeader(Duration.ofSeconds(30));
        history.nemesisStart("f1", "kill", "crash the leader " + leader, List.of(leader));
        cluster.kill(leader);
        Thread.sleep(3_000);
        cluster.startNode(leader);
        history.nemesisEnd("f1", "kill", "restart " + leader + " from its disk", List.of(leader));
        long healIndex = history.eventCount();
        Thread.sleep(5_000); // writes flow again after the heal: liveness is measured from it
        // On a loaded machine the first acknowledgement after the heal can come later than that:
        // stop only once there is one (how long it took is still the checker's to judge).
        TestCluster.await(Duration.ofSeconds(60), "a write acknowledged after the heal",
            () -> ackedAfter(dir.resolve("history.jsonl"), healIndex));
        assertEquals(0, workload.stop(), "every operation completed");
        workload.finalReads();
      }
      Map<String, String> facts = new LinkedHashMap<>();
      facts.put("seed", "99");
      Verify.Result result = Verify.check(dir.resolve("history.jsonl"), dir, CheckerOptions.defaults(), facts);
      assertTrue(result.verdict().valid(), result.verdict().toPrettyJson());
      assertEquals(1, result.verdict().stats().get("faults").asInt());
      assertTrue(result.verdict().liveness().healNs() > 0);
      assertTrue(result.verdict().liveness().firstAckAfterHealNs() >= result.verdict().liveness().healNs());
      assertEquals(9, result.verdict().stats().get("operations").get("final-read").get("ok").asInt());
      // The consumer group took part: it was assigned partitions and its commits were acknowledged.
      assertTrue(result.verdict().stats().get("operations").path("commit").path("ok").asInt() > 0,
          "group consumers committed: " + result.verdict().stats());
      List<String> groupAssigns = Files.readAllLines(dir.resolve("history.jsonl")).stream()
          .filter(line -> line.contains("\"f\":\"assign\"") && line.contains("\"group\":\"" + config.group() + "\""))
          .toList();
      assertTrue(!groupAssigns.isEmpty(), "group assign events in the history");
      // The SDK's sendAtomically was exercised too (process s0), not only raw multi-batch requests.
      assertTrue(Files.readAllLines(dir.resolve("history.jsonl")).stream().anyMatch(line -> line.contains("\"process\":\"s0\"")
          && line.contains("\"type\":\"ok\"") && line.contains("\"f\":\"atomic\"")), "acknowledged SDK atomic writes");
      String report = Files.readString(result.reportFile());
      assertTrue(report.contains("crash the leader " + leader), "fault in the report's timeline");
    }
  }
}
