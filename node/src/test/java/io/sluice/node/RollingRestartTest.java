package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

  /** Transfers leadership to {@code id}, asking again while the transfer is refused (a node still catching up). */
  private static void moveLeadershipTo(TestCluster c, SluiceClient client, String id) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!c.awaitLeader(WAIT).equals(id)) {
      try {
        client.admin().transferLeader(id).get(30, TimeUnit.SECONDS);
      } catch (ExecutionException | TimeoutException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not move leadership to " + id + " within " + WAIT, e);
        }
        Thread.sleep(500);
      }
    }
  }

  @Test
  void restartingEveryNodeInTurnKeepsWritesAvailableAndLosesNothing() throws Exception {
    Map<String, String> smallLog = Map.of("raft.snapshot.threshold.entries", "100", "raft.log.purge.gap.entries", "10");
    try (TestCluster c = TestCluster.start(tmp, 3, smallLog);
        SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5))
            .build()) {
      client.admin().createTopic("r", 3).get(60, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "r");
      List<Boolean> stoppedWhileLeading = new ArrayList<>();
      List<String> left = new ArrayList<>(c.nodes.keySet());
      try {
        producer.awaitMoreAcked(300, WAIT, "before the restarts");
        while (!left.isEmpty()) {
          // Followers first, the leader last. Chosen at each step from who leads now: an election
          // under load may have moved the leader since the start.
          String leaderNow = c.awaitLeader(WAIT);
          String id = left.stream().filter(n -> !n.equals(leaderNow)).findFirst().orElse(leaderNow);
          if (left.size() == 1 && !id.equals(leaderNow)) {
            moveLeadershipTo(c, client, id); // as an operator would, so that the last stop is the leader's
          }
          left.remove(id);
          SluiceNode stopping = c.nodes.get(id);
          boolean leading = stopping.isLeader();
          stoppedWhileLeading.add(leading);
          c.stop(id);
          if (leading) {
            assertTrue(stopping.handedLeadershipTo().isPresent(), id + " handed leadership over as it stopped");
          }
          producer.awaitMoreAcked(300, WAIT, "while " + id + " is down");
          SluiceNode back = c.startNode(id);
          long commitNow = c.nodes.get(c.awaitLeader(WAIT)).division().getRaftLog().getLastCommittedIndex();
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
