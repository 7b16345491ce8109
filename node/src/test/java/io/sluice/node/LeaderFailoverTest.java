package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes flow again after the leader dies under a steady load: the followers elect a new leader,
 * the SDK finds it (NOT_LEADER hints or metadata refresh) and its retries go through, and nothing
 * acknowledged is lost. The bound on the resumption is generous (a loaded 2-core machine): this is
 * about failover happening at all without help, not a speed claim — {@code bench/run.sh}'s
 * {@code failover} step measures the gap.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LeaderFailoverTest {
  /**
   * Generous: the election takes about 1-2 s with the test cluster's timeouts, but on a loaded
   * machine the producer itself may manage only some tens of acknowledgements a second.
   */
  private static final Duration RESUME_WAIT = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;

  @Test
  void writesResumeAfterTheLeaderIsKilledUnderSteadyLoad() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
        SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).build()) {
      client.admin().createTopic("f", 6).get(60, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "f");
      String oldLeader;
      long killedNanos;
      long resumedNanos;
      try {
        producer.awaitMoreAcked(500, WAIT, "before the kill");
        oldLeader = c.currentLeader().id();
        int ackedAtKill = producer.ackedCount();
        killedNanos = System.nanoTime();
        c.kill(oldLeader);
        // Acknowledgements already on their way when the leader died may still arrive: wait for
        // more than could have been in flight (SteadyProducer keeps at most 256 outstanding).
        producer.awaitMoreAcked(256 + 100, RESUME_WAIT, "within " + RESUME_WAIT + " of killing leader " + oldLeader);
        resumedNanos = System.nanoTime();
        assertTrue(producer.ackedCount() > ackedAtKill + 256, producer.summary());
      } finally {
        producer.close();
      }
      String newLeader = c.awaitLeader(WAIT);
      assertNotEquals(oldLeader, newLeader);
      System.out.printf("leader %s killed: writes resumed on %s within %d ms; %s%n", oldLeader, newLeader,
          TimeUnit.NANOSECONDS.toMillis(resumedNanos - killedNanos), producer.summary());
      // With idempotence and a long delivery timeout every send ends acknowledged.
      assertEquals(0, producer.indeterminate.get(), producer.summary());
      assertTrue(producer.rejected.isEmpty(), producer.summary());
      c.startNode(oldLeader);
      c.awaitConverged(WAIT);
      Replicas.check(c, "f", producer.acked.values(), producer.rejected);
    }
  }
}
