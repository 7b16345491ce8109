package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
      // The leader it names is the one every node agrees on; compared within one term, since an
      // election under load may move the leader between looking at the cluster and asking the node.
      TestCluster.await(Duration.ofSeconds(60), survivorId + " to name the leader every node agrees on", () -> {
        Optional<TestCluster.LeaderTerm> before = c.agreedLeader();
        Scrape.Reply r = Scrape.get(survivor, "/health/ready");
        if (r.status() != 200) {
          return false; // an election in progress: not ready for a moment
        }
        JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
        assertEquals(survivorId, body.get("node").getAsString());
        return before.isPresent() && before.equals(c.agreedLeader())
            && before.get().id().equals(body.get("leader").getAsString());
      });
      ready(survivor, 200); // status, content type

      List<String> others = c.nodes.keySet().stream().filter(id -> !id.equals(survivorId)).toList();
      others.forEach(c::kill);
      // The survivor may have become the leader meanwhile (an election under load): then it first
      // answers "elected leader, but no entry of its term is applied yet" and steps down once it
      // has heard from no majority for an election timeout. Either way it must end not ready,
      // with no leader.
      TestCluster.await(Duration.ofSeconds(30), survivorId + " not ready, with no leader, without a majority", () -> {
        Scrape.Reply r = Scrape.get(survivor, "/health/ready");
        return r.status() == 503 && r.body().contains("no leader");
      });
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
