package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.ClusterInfo;
import io.sluice.client.MembershipException;
import io.sluice.client.NodeInfo;
import io.sluice.client.NodeStatus;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes on a live cluster while a producer runs: 3 → 5 voters → leadership moved →
 * back to 3 (removing a follower and then the leader), with every acknowledged record present
 * exactly once at its offset on every remaining replica; and the refusals.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class MembershipTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path tmp;

  /** Small snapshots and log segments, so new nodes catch up from a snapshot, not the whole log. */
  private static final Map<String, String> SMALL_LOG = Map.of(
      "raft.snapshot.threshold.entries", "40",
      "raft.log.purge.gap.entries", "5",
      "raft.log.segment.bytes.max", "16384");

  private static SluiceClient client(TestCluster c) {
    // add-node waits for the new node to catch up: give each attempt time for it.
    return SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(30)).build();
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(120, TimeUnit.SECONDS);
  }

  private static List<String> voters(ClusterInfo info) {
    return info.nodes().stream().filter(n -> !n.listener()).map(NodeInfo::id).sorted().toList();
  }

  private static List<String> listeners(ClusterInfo info) {
    return info.nodes().stream().filter(NodeInfo::listener).map(NodeInfo::id).sorted().toList();
  }

  /** Waits until every running node's own Raft configuration has exactly {@code expected} as voters. */
  private static void awaitEveryNodeSees(TestCluster c, List<String> expected) {
    TestCluster.await(WAIT, "every node to see voters " + expected, () -> c.nodes.values().stream().allMatch(n ->
        n.membership().members().stream().filter(m -> !m.listener()).map(Membership.Member::id).sorted().toList()
            .equals(expected)));
  }

  @Test
  void growToFiveMoveLeadershipShrinkToThreeWhileProducing() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, SMALL_LOG); SluiceClient client = client(c)) {
      client.admin().createTopic("m", 4).get(60, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "m");
      try {
        producer.awaitMoreAcked(300, WAIT, "before any change");
        SluiceNode firstLeader = c.currentLeader();
        TestCluster.await(WAIT, "the leader to purge the start of its log", () ->
            firstLeader.division().getRaftLog().getStartIndex() > 1);

        for (String id : List.of("n4", "n5")) {
          String raftAddress = c.configureJoiner(id);
          SluiceNode joiner = c.startNode(id);
          assertEquals(List.of(), joiner.membership().members(), id + " starts outside any configuration");
          ClusterInfo after = get(client.admin().addNode(id, raftAddress));
          assertTrue(voters(after).contains(id), id + " is a voter after add-node: " + after);
          assertEquals(List.of(), listeners(after));
          assertTrue(joiner.stateMachine().latestSnapshotIndex() > 0, id + " caught up from a snapshot");
          producer.awaitMoreAcked(200, WAIT, "after adding " + id);
        }
        List<String> five = List.of("n1", "n2", "n3", "n4", "n5");
        awaitEveryNodeSees(c, five);
        c.awaitRegistered(WAIT); // the joiners announced their client addresses through the log
        // Adding a voter again at the same address changes nothing (a retried add-node).
        assertEquals(five, voters(get(client.admin().addNode("n4", c.configs.get("n4").get("raft.listen")))));

        assertEquals("n5", get(client.admin().transferLeader("n5")));
        TestCluster.await(WAIT, "n5 to lead", () -> c.leader().map(l -> l.id().equals("n5")).orElse(false));
        producer.awaitMoreAcked(200, WAIT, "after moving leadership to n5");

        assertEquals(List.of("n2", "n3", "n4", "n5"), voters(get(client.admin().removeNode("n1"))));
        c.stop("n1");
        producer.awaitMoreAcked(200, WAIT, "after removing n1");

        // Removing the leader: it hands leadership over first, then the new leader removes it.
        ClusterInfo three = get(client.admin().removeNode("n5"));
        assertEquals(List.of("n2", "n3", "n4"), voters(three));
        assertTrue(!"n5".equals(three.leaderId()), "the removed leader no longer leads: " + three);
        c.stop("n5");
        producer.awaitMoreAcked(300, WAIT, "after removing the leader n5");

        // Members restart with the flags they were first started with: n2's peers still name the
        // removed n1, n4 still says join; the membership stored in the Raft log wins.
        for (String id : List.of("n2", "n4")) {
          c.stop(id);
          producer.awaitMoreAcked(100, WAIT, "while " + id + " restarts");
          SluiceNode back = c.startNode(id);
          assertEquals(List.of("n2", "n3", "n4"), back.membership().members().stream()
              .map(Membership.Member::id).toList(), id + " restarts into the changed membership");
          long commit = c.leader().map(l -> l.division().getRaftLog().getLastCommittedIndex()).orElse(0L);
          TestCluster.await(WAIT, id + " to catch up before the next restart", // as an operator would
              () -> back.core().applied().index() >= commit);
        }
        producer.awaitMoreAcked(200, WAIT, "after the restarts");
      } finally {
        producer.close();
      }
      System.out.println("membership changes while producing: " + producer.summary());
      assertEquals(producer.sent.get(), producer.ackedCount(), "every send was acknowledged: " + producer.summary());
      awaitEveryNodeSees(c, List.of("n2", "n3", "n4"));
      Replicas.check(c, "m", producer.acked.values(), producer.rejected);
    }
  }

  @Test
  void refusalsSayWhatIsWrongAndChangeNothing() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of()); SluiceClient client = client(c)) {
      MembershipException unknown = membershipFailure(client.admin().removeNode("n9"));
      assertEquals("UNKNOWN_NODE", unknown.reason());
      assertTrue(unknown.getMessage().contains("no member has id 'n9'") && unknown.getMessage().contains("n1="),
          unknown.getMessage());
      assertEquals("UNKNOWN_NODE", membershipFailure(client.admin().transferLeader("n9")).reason());

      MembershipException sameId = membershipFailure(client.admin().addNode("n2", "127.0.0.1:1"));
      assertEquals("NODE_EXISTS", sameId.reason());
      MembershipException sameAddress = membershipFailure(
          client.admin().addNode("n7", c.configs.get("n1").get("raft.listen")));
      assertEquals("NODE_EXISTS", sameAddress.reason());
      assertTrue(sameAddress.getMessage().contains("belongs to member n1"), sameAddress.getMessage());

      // Nothing listens there: Ratis gives up bootstrapping it, and the membership is unchanged.
      MembershipException silent = membershipFailure(client.admin().addNode("n6", "127.0.0.1:" + TestCluster.freePort()));
      assertEquals("NODE_NOT_CAUGHT_UP", silent.reason());
      assertTrue(silent.getMessage().contains("did not answer"), silent.getMessage());
      ClusterInfo unchanged = get(client.admin().describeCluster());
      assertEquals(List.of("n1", "n2", "n3"), voters(unchanged));
      assertEquals(List.of(), listeners(unchanged));

      // One follower crashes; removing the other live one would leave {leader, dead}: refused.
      String leader = c.currentLeader().id();
      List<String> followers = c.nodes.keySet().stream().filter(id -> !id.equals(leader)).sorted().toList();
      String dead = followers.get(0);
      String alive = followers.get(1);
      c.kill(dead);
      SluiceNode l = c.nodes.get(leader);
      long reachableMs = l.config().getLong(NodeConfig.ELECTION_TIMEOUT_MAX_MS); // what the leader counts as reachable
      TestCluster.await(WAIT, "the leader to notice " + dead + " is gone", () -> l.membership().followers().stream()
          .anyMatch(p -> p.id().equals(dead) && p.lastContactMs() > reachableMs));
      MembershipException atRisk = membershipFailure(client.admin().removeNode(alive));
      assertEquals("QUORUM_AT_RISK", atRisk.reason());
      assertTrue(atRisk.getMessage().contains("majority"), atRisk.getMessage());
      assertEquals(List.of("n1", "n2", "n3"), voters(get(client.admin().describeCluster())));

      // Removing the dead one is what an operator replacing a failed node does: allowed.
      assertEquals(List.of(leader, alive).stream().sorted().toList(), voters(get(client.admin().removeNode(dead))));
      client.admin().createTopic("t", 1).get(60, TimeUnit.SECONDS);
      try (var producer = client.newProducer()) {
        assertEquals(0, producer.send(ProducerRecord.of("t", "after".getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS).offset(), "the two voters left accept writes");
      }
    }
  }

  /**
   * Regression: with a listener-then-promote sequence, Ratis 3.3 never marked the new node caught
   * up, so the next failed add silently stopped replication to it, and transferring leadership to
   * it left the leader refusing every write.
   */
  @Test
  void aFailedAddLeavesAnEarlierAddedNodeReplicatedAndAbleToLead() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of()); SluiceClient client = client(c)) {
      client.admin().createTopic("f", 1).get(60, TimeUnit.SECONDS);
      String raftAddress = c.configureJoiner("n4");
      c.startNode("n4");
      get(client.admin().addNode("n4", raftAddress));
      assertEquals("NODE_NOT_CAUGHT_UP",
          membershipFailure(client.admin().addNode("n5", "127.0.0.1:" + TestCluster.freePort())).reason());
      try (var producer = client.newProducer()) {
        for (int i = 0; i < 20; i++) {
          producer.send(ProducerRecord.of("f", ("a" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        SluiceNode leader = c.currentLeader();
        TestCluster.await(WAIT, "the leader to replicate to n4", () -> leader.membership().followers().stream()
            .anyMatch(p -> p.id().equals("n4") && p.lagEntries() == 0 && p.lastContactMs() >= 0));
        assertEquals("n4", get(client.admin().transferLeader("n4")));
        assertEquals(20, producer.send(ProducerRecord.of("f", "after".getBytes(StandardCharsets.UTF_8)))
            .get(30, TimeUnit.SECONDS).offset(), "the new leader n4 takes writes");
      }
    }
  }

  @Test
  void statusReportsDiskUseSnapshotAndFollowerLag() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of()); SluiceClient client = client(c)) {
      client.admin().createTopic("s", 1).get(60, TimeUnit.SECONDS);
      String leader = c.currentLeader().id();
      long index = client.admin().takeSnapshot(c.clientAddress(leader)).get(30, TimeUnit.SECONDS);
      assertTrue(index > 0, "a snapshot now covers what was applied: " + index);
      NodeStatus status = client.admin().nodeStatus(c.clientAddress(leader)).get(60, TimeUnit.SECONDS);
      assertEquals(index, status.snapshotIndex());
      assertTrue(status.diskUsedBytes() > 0, "disk use is measured: " + status);
      assertEquals(2, status.followers().size(), "the leader reports both followers: " + status);
      String follower = status.followers().get(0).id();
      NodeStatus followerStatus = client.admin().nodeStatus(c.clientAddress(follower)).get(60, TimeUnit.SECONDS);
      assertEquals(List.of(), followerStatus.followers(), "only the leader reports followers");

      c.kill(follower);
      try (var producer = client.newProducer()) {
        for (int i = 0; i < 20; i++) {
          producer.send(ProducerRecord.of("s", ("x" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
      }
      NodeStatus later = client.admin().nodeStatus(c.clientAddress(leader)).get(60, TimeUnit.SECONDS);
      long lag = later.followers().stream().filter(f -> f.id().equals(follower)).findFirst().orElseThrow().lagEntries();
      assertTrue(lag >= 20, "the stopped follower lags by the 20 writes at least: " + later.followers());
    }
  }

  private static MembershipException membershipFailure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS));
    assertInstanceOf(SluiceException.class, e.getCause());
    return assertInstanceOf(MembershipException.class, e.getCause(), e.getCause().toString());
  }

}
