package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rolling restart, as an operator does one: each node in turn is stopped gracefully (what
 * SIGTERM runs), restarted on its data directory, and allowed to catch up before the next; the
 * followers first, then the leader. A producer runs throughout. Writes must keep being
 * acknowledged while each node is down, every send must end acknowledged (the SDK retries the
 * NOT_WRITTEN refusals a stopping node gives), and no acknowledged record may be lost.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RollingRestartTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;

  @Test
  void restartingEveryNodeInTurnKeepsWritesAvailableAndLosesNothing() throws Exception {
    Map<String, String> smallLog = Map.of("raft.snapshot.threshold.entries", "100", "raft.log.purge.gap.entries", "10");
    try (TestCluster c = TestCluster.start(tmp, 3, smallLog);
        SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5))
            .build()) {
      client.admin().createTopic("r", 3).get(10, TimeUnit.SECONDS);
      String firstLeader = c.leader().orElseThrow().id();
      List<String> order = new ArrayList<>(c.nodes.keySet().stream().filter(id -> !id.equals(firstLeader)).toList());
      order.add(firstLeader);
      SteadyProducer producer = new SteadyProducer(client, "r");
      List<Boolean> stoppedWhileLeading = new ArrayList<>();
      try {
        producer.awaitMoreAcked(300, WAIT, "before the restarts");
        for (String id : order) {
          SluiceNode stopping = c.nodes.get(id);
          boolean leading = stopping.isLeader();
          stoppedWhileLeading.add(leading);
          c.stop(id);
          if (leading) {
            assertTrue(stopping.handedLeadershipTo().isPresent(), id + " handed leadership over as it stopped");
          }
          producer.awaitMoreAcked(300, WAIT, "while " + id + " is down");
          SluiceNode back = c.startNode(id);
          long commitNow = c.leader().map(l -> l.division().getRaftLog().getLastCommittedIndex()).orElse(0L);
          TestCluster.await(WAIT, id + " to catch up after its restart",
              () -> back.core().applied().index() >= commitNow);
          producer.awaitMoreAcked(100, WAIT, "after " + id + " came back");
        }
      } finally {
        producer.close();
      }
      System.out.println("rolling restart: " + producer.summary());
      assertTrue(stoppedWhileLeading.contains(true), "the leader was among the nodes restarted: " + stoppedWhileLeading);
      assertEquals(producer.sent.get(), producer.ackedCount(), "every send was acknowledged: " + producer.summary());
      Replicas.check(c, "r", producer.acked.values(), producer.rejected);
    }
  }
}
