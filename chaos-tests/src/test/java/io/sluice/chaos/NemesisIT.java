package io.sluice.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testcontainers.SluiceCluster;
import io.sluice.testcontainers.SluiceClusterNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The faults really happen: a suite whose partitions cut nothing would pass for the wrong reason.
 * One 3-node cluster: isolating the leader makes the other two elect another one, and healing lets
 * the old leader follow it; pause and kill stop the node. (ChaosIT's Docker check covers a missing
 * engine.)
 */
class NemesisIT {
  @Test
  void partitionPauseAndKillTakeEffect() throws Exception {
    try (SluiceCluster cluster = SluiceCluster.builder().nodes(3)
        .nodeConfig("raft.election.timeout.min.ms", "2000").nodeConfig("raft.election.timeout.max.ms", "4000")
        .build()) {
      cluster.start();
      SluiceClusterNode leader = cluster.leader().orElseThrow();
      List<SluiceClusterNode> others = cluster.nodes().stream().filter(n -> n != leader).toList();

      Net.cut(List.of(leader), others);
      SluiceClusterNode newLeader = await(() -> cluster.leader().filter(l -> l != leader), "a new leader");
      assertNotEquals(leader.id(), newLeader.id());
      cluster.nodes().forEach(Net::heal);
      await(() -> leader.ready() && cluster.leader().filter(l -> l == newLeader).isPresent()
          ? Optional.of(true) : Optional.empty(), "the old leader following the new one");

      SluiceClusterNode victim = others.get(0);
      victim.pause();
      assertTrue(victim.paused());
      assertFalse(victim.ready(), "a paused node does not answer");
      victim.unpause();
      victim.kill();
      assertFalse(victim.running());
      victim.start();
      cluster.awaitReady(Duration.ofMinutes(2));
      assertEquals(3, cluster.nodes().stream().filter(SluiceClusterNode::ready).count());
    }
  }

  private static <T> T await(java.util.function.Supplier<Optional<T>> probe, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<T> v = probe.get();
      if (v.isPresent()) {
        return v.get();
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no " + what + " within 60 s");
  }
}
