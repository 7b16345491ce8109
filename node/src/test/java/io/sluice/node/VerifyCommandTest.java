package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.node.cli.CliForTests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice verify} against real nodes in this JVM: the workload's history checks valid on a
 * healthy cluster, and still valid when the leader is killed and restarted during the run (the
 * faults a user would cause). Durations are short but bounds generous (a loaded 2-core machine).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class VerifyCommandTest {

  @TempDir Path tmp;

  private static JsonNode verdict(CliForTests.Result run) throws Exception {
    return new ObjectMapper().readTree(run.out());
  }

  private static long ok(JsonNode verdict, String f) {
    JsonNode ops = verdict.get("stats").get("operations").get(f);
    return ops == null ? 0 : ops.get("ok").asLong();
  }

  @Test
  void aHealthyClusterChecksValidAndTheRunLeavesHistoryVerdictAndReport() throws Exception {
    try (TestCluster cluster = TestCluster.start(tmp.resolve("nodes"), 3, Map.of())) {
      Path out = tmp.resolve("out");
      // --node-address as a harness with mapped ports would pass it (here: the same addresses).
      CliForTests.Result run = CliForTests.run("verify", "--bootstrap", cluster.bootstrap(), "--duration", "6s",
          "--seed", "42", "--rate", "50", "--out", out.toString(), "--settle-timeout", "60s",
          "--node-address", "n1=" + cluster.clientAddress("n1"), "--node-address", "n2=" + cluster.clientAddress("n2"),
          "--node-address", "n3=" + cluster.clientAddress("n3"));
      assertEquals(0, run.exitCode(), run.toString());
      JsonNode verdict = verdict(run);
      assertTrue(verdict.get("valid").asBoolean(), run.out());
      assertTrue(ok(verdict, "send") > 50, "sends acknowledged: " + run.out());
      assertTrue(ok(verdict, "atomic") > 5, "atomic writes acknowledged: " + run.out());
      assertTrue(ok(verdict, "final-read") == 9, "3 nodes x 3 partitions read: " + run.out());
      assertTrue(ok(verdict, "commit") > 0, "the consumer group's commits acknowledged: " + run.out());
      assertTrue(verdict.get("stats").get("records_read").asLong() > ok(verdict, "send"), run.out());
      assertEquals(3, verdict.get("stats").get("nodes_final_read").size());
      assertTrue(run.err().contains("reproduce with: sluice verify --bootstrap " + cluster.bootstrap()
          + " --duration 6s --partitions 3 --producers 2 --atomic-writers 1 --sdk-atomic-writers 1 --consumers 2 --group-consumers 2 --rate 50 --seed 42"
          + " --out " + out + " --node-address n1=" + cluster.clientAddress("n1")), run.err());
      for (String file : new String[] {"history.jsonl", "verdict.json", "report.html"}) {
        assertTrue(Files.size(out.resolve(file)) > 0, file);
      }
      // The recorded history checks the same way through check-history.
      CliForTests.Result again = CliForTests.run("check-history", out.resolve("history.jsonl").toString());
      assertEquals(0, again.exitCode(), again.toString());
    }
  }

  @Test
  void killingAndRestartingTheLeaderDuringTheRunStillChecksValid() throws Exception {
    try (TestCluster cluster = TestCluster.start(tmp.resolve("nodes"), 3, Map.of())) {
      Path out = tmp.resolve("out");
      Thread nemesis = new Thread(() -> {
        try {
          Thread.sleep(4_000);
          String leader = cluster.awaitLeader(Duration.ofSeconds(30));
          cluster.kill(leader);
          Thread.sleep(3_000);
          cluster.startNode(leader);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, "nemesis");
      nemesis.start();
      CliForTests.Result run = CliForTests.run("verify", "--bootstrap", cluster.bootstrap(), "--duration", "14s",
          "--seed", "7", "--rate", "50", "--out", out.toString(), "--settle-timeout", "90s");
      nemesis.join();
      assertEquals(0, run.exitCode(), run.toString());
      JsonNode verdict = verdict(run);
      assertTrue(verdict.get("valid").asBoolean(), run.out());
      assertEquals(9, ok(verdict, "final-read"), "every node read back after its restart: " + run.out());
      assertTrue(ok(verdict, "commit") > 0, "the consumer group's commits acknowledged: " + run.out());
    }
  }
}
