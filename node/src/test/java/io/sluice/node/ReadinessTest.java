package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** /health/ready follows the node's view of the cluster; /health/live stays 200 throughout. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ReadinessTest {
  @TempDir
  Path tmp;

  private static JsonObject ready(SluiceNode node, int expectedStatus) {
    Scrape.Reply r = Scrape.get(node, "/health/ready");
    assertEquals(expectedStatus, r.status(), r.body());
    assertTrue(r.contentType().startsWith("application/json"), r.contentType());
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }

  private static boolean answers(SluiceNode node, int status) {
    return Scrape.get(node, "/health/ready").status() == status;
  }

  @Test
  void aFollowerLosingItsMajorityTurnsNotReadyAndBackWhenItReturns() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of())) {
      String leader = c.awaitLeader(Duration.ofSeconds(30));
      String survivorId = c.nodes.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      SluiceNode survivor = c.nodes.get(survivorId);
      TestCluster.await(Duration.ofSeconds(30), survivorId + " ready", () -> answers(survivor, 200));
      JsonObject body = ready(survivor, 200);
      assertEquals(survivorId, body.get("node").getAsString());
      assertEquals(leader, body.get("leader").getAsString());

      List<String> others = c.nodes.keySet().stream().filter(id -> !id.equals(survivorId)).toList();
      others.forEach(c::kill);
      TestCluster.await(Duration.ofSeconds(30), survivorId + " not ready without a majority",
          () -> answers(survivor, 503));
      JsonObject down = ready(survivor, 503);
      assertTrue(down.get("reason").getAsString().contains("no leader"), down.toString());
      assertEquals(200, Scrape.get(survivor, "/health/live").status(), "alive all the same");
      assertEquals(0, Scrape.of(survivor).value("sluice_node_ready"));

      for (String id : others) {
        c.startNode(id);
      }
      TestCluster.await(Duration.ofSeconds(60), survivorId + " ready again", () -> answers(survivor, 200));
      assertEquals(1, Scrape.of(survivor).value("sluice_node_ready"));
      for (String id : others) {
        SluiceNode back = c.nodes.get(id);
        TestCluster.await(Duration.ofSeconds(60), id + " ready after its restart", () -> answers(back, 200));
      }
    }
  }
}
