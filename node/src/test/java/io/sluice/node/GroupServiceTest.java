package io.sluice.node;

import static io.sluice.node.BadInputTest.expectError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.CommitOffsetsRequest;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.DeleteGroupRequest;
import io.sluice.api.v1.DescribeGroupRequest;
import io.sluice.api.v1.FetchOffsetsRequest;
import io.sluice.api.v1.GroupDescription;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.api.v1.GroupServiceGrpc;
import io.sluice.api.v1.GroupState;
import io.sluice.api.v1.HeartbeatRequest;
import io.sluice.api.v1.HeartbeatResponse;
import io.sluice.api.v1.JoinGroupRequest;
import io.sluice.api.v1.JoinGroupResponse;
import io.sluice.api.v1.LeaveGroupRequest;
import io.sluice.api.v1.ListGroupsRequest;
import io.sluice.api.v1.OffsetResetMode;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.ResetOffsetsRequest;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * GroupService and Append.group_commit over raw gRPC: the server's contract (fencing, errors,
 * atomicity), not the SDK's.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GroupServiceTest {
  @TempDir
  static Path tmp;
  static TestCluster cluster;
  static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(tmp, 3, Map.of("group.session.timeout.ms.min", "500"));
    TopicServiceGrpc.TopicServiceBlockingStub topics = TopicServiceGrpc.newBlockingStub(channel(leader()))
        .withDeadlineAfter(15, TimeUnit.SECONDS);
    topics.createTopic(CreateTopicRequest.newBuilder().setName("in").setPartitions(2).build());
    topics.createTopic(CreateTopicRequest.newBuilder().setName("out").setPartitions(1).build());
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  static String leader() {
    return cluster.clientAddress(cluster.awaitLeader(Duration.ofSeconds(30)));
  }

  static ManagedChannel channel(String address) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  static GroupServiceGrpc.GroupServiceBlockingStub groups() {
    return GroupServiceGrpc.newBlockingStub(channel(leader())).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  static JoinGroupResponse join(String group, String memberId, String topic) {
    return groups().joinGroup(JoinGroupRequest.newBuilder().setGroupId(group).setMemberId(memberId)
        .setClientId("t").addTopics(topic).setSessionTimeoutMs(60_000).build());
  }

  static GroupOffsetCommit commit(String group, String member, int generation, String topic, int partition, long offset) {
    return GroupOffsetCommit.newBuilder().setGroupId(group).setMemberId(member).setGeneration(generation)
        .addOffsets(CommittedOffset.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset)).build();
  }

  static Map<String, Long> offsets(String group) {
    java.util.TreeMap<String, Long> out = new java.util.TreeMap<>();
    groups().fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId(group).build()).getOffsetsList()
        .forEach(o -> out.put(o.getTopic() + "-" + o.getPartition(), o.getOffset()));
    return out;
  }

  @Test
  void aCommitWithAStaleGenerationIsFencedAndWritesNothing() {
    JoinGroupResponse a = join("fence", "", "in");
    assertEquals(GroupState.GROUP_STATE_STABLE, a.getState());
    assertEquals(1, a.getGeneration());
    assertEquals(2, a.getAssignmentCount());
    JoinGroupResponse b = join("fence", "", "in");
    assertEquals(GroupState.GROUP_STATE_PREPARING_REBALANCE, b.getState());
    // a has not rejoined: its heartbeat says so, and its generation is still good for a last commit.
    HeartbeatResponse h = groups().heartbeat(HeartbeatRequest.newBuilder().setGroupId("fence")
        .setMemberId(a.getMemberId()).setGeneration(1).build());
    assertTrue(h.getRejoinRequired());
    groups().commitOffsets(CommitOffsetsRequest.newBuilder().setCommit(commit("fence", a.getMemberId(), 1, "in", 0, 5)).build());
    JoinGroupResponse a2 = join("fence", a.getMemberId(), "in");
    assertEquals(GroupState.GROUP_STATE_STABLE, a2.getState());
    assertEquals(2, a2.getGeneration());
    assertEquals(1, a2.getAssignmentCount());

    expectError(Status.Code.FAILED_PRECONDITION, "ILLEGAL_GENERATION", () -> groups().commitOffsets(
        CommitOffsetsRequest.newBuilder().setCommit(commit("fence", a.getMemberId(), 1, "in", 0, 9)).build()));
    expectError(Status.Code.FAILED_PRECONDITION, "UNKNOWN_MEMBER_ID", () -> groups().commitOffsets(
        CommitOffsetsRequest.newBuilder().setCommit(commit("fence", "nobody", 2, "in", 0, 9)).build()));
    expectError(Status.Code.NOT_FOUND, "UNKNOWN_GROUP", () -> groups().commitOffsets(
        CommitOffsetsRequest.newBuilder().setCommit(commit("nosuch", "x", 1, "in", 0, 9)).build()));
    assertEquals(Map.of("in-0", 5L), offsets("fence"));
    // Every replica holds the same committed offsets.
    cluster.awaitConverged(Duration.ofSeconds(30));
    for (SluiceNode n : cluster.nodes.values()) {
      assertEquals(5L, n.core().committedOffsets("fence").values().iterator().next().getOffset(), n.id());
    }
  }

  @Test
  void badGroupRequestsGetClearErrorsAndTheNodeKeepsServing() {
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_GROUP_ID", () -> join("bad group!", "", "in"));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_SESSION_TIMEOUT", () -> groups().joinGroup(
        JoinGroupRequest.newBuilder().setGroupId("g").addTopics("in").setSessionTimeoutMs(10).build()));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_TOPIC_NAME", () -> join("g", "", "bad topic"));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_OFFSET", () -> groups().commitOffsets(
        CommitOffsetsRequest.newBuilder().setCommit(commit("g", "m", 1, "in", 0, -1)).build()));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", () -> groups().commitOffsets(
        CommitOffsetsRequest.newBuilder().setCommit(GroupOffsetCommit.newBuilder().setGroupId("g").setMemberId("m")
            .setGeneration(1).addOffsets(CommittedOffset.newBuilder().setTopic("in").setOffset(1)
                .setMetadata("x".repeat(1025)))).build()));
    expectError(Status.Code.NOT_FOUND, "UNKNOWN_GROUP", () -> groups().describeGroup(
        DescribeGroupRequest.newBuilder().setGroupId("nosuch").build()));
    expectError(Status.Code.FAILED_PRECONDITION, "UNKNOWN_MEMBER_ID", () -> join("fence2", "stranger", "in"));
    // A follower refuses group writes with the leader hint, like produce.
    String follower = cluster.nodes.keySet().stream().filter(id -> !cluster.clientAddress(id).equals(leader()))
        .findFirst().orElseThrow();
    expectError(Status.Code.FAILED_PRECONDITION, "NOT_LEADER", () -> GroupServiceGrpc.newBlockingStub(
        channel(cluster.clientAddress(follower))).withDeadlineAfter(15, TimeUnit.SECONDS).joinGroup(
            JoinGroupRequest.newBuilder().setGroupId("g").addTopics("in").setSessionTimeoutMs(5000).build()));
    assertTrue(join("still-serving", "", "in").getGeneration() > 0);
  }

  @Test
  void appendGroupCommitIsFencedWithNothingWrittenOrWrittenTogether() {
    JoinGroupResponse m = join("txn", "", "in");
    ProduceServiceGrpc.ProduceServiceBlockingStub produce = ProduceServiceGrpc.newBlockingStub(channel(leader()))
        .withDeadlineAfter(15, TimeUnit.SECONDS);
    long endBefore = cluster.currentLeader().core().topicView("out").orElseThrow().partitions().get(0).getNextOffset();
    expectError(Status.Code.FAILED_PRECONDITION, "ILLEGAL_GENERATION", () -> produce.produce(ProduceRequest.newBuilder()
        .addBatches(batch("out", "fenced"))
        .setGroupCommit(commit("txn", m.getMemberId(), m.getGeneration() + 1, "in", 1, 7)).build()));
    expectError(Status.Code.FAILED_PRECONDITION, "UNKNOWN_MEMBER_ID", () -> produce.produce(ProduceRequest.newBuilder()
        .addBatches(batch("out", "fenced"))
        .setGroupCommit(commit("txn", "nobody", m.getGeneration(), "in", 1, 7)).build()));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_OFFSET", () -> produce.produce(ProduceRequest.newBuilder()
        .addBatches(batch("out", "bad"))
        .setGroupCommit(commit("txn", m.getMemberId(), m.getGeneration(), "in", 1, -3)).build()));
    assertEquals(endBefore, cluster.currentLeader().core().topicView("out").orElseThrow().partitions().get(0)
        .getNextOffset(), "a fenced atomic write appends nothing");
    assertEquals(Map.of(), offsets("txn"));

    long commitIndex = produce.produce(ProduceRequest.newBuilder().addBatches(batch("out", "ok"))
        .setGroupCommit(commit("txn", m.getMemberId(), m.getGeneration(), "in", 1, 7)).build()).getCommitIndex();
    assertEquals(Map.of("in-1", 7L), offsets("txn"));
    cluster.awaitConverged(Duration.ofSeconds(30));
    for (SluiceNode n : cluster.nodes.values()) {
      assertTrue(n.core().applied().index() >= commitIndex);
      assertEquals(endBefore + 1, n.core().topicView("out").orElseThrow().partitions().get(0).getNextOffset(), n.id());
      assertEquals(7L, n.core().committedOffsets("txn").values().iterator().next().getOffset(), n.id());
    }
  }

  @Test
  void resetAndDeleteOnlyWhenEmptyAndDescribeShowsLag() {
    JoinGroupResponse m = join("ops", "", "in");
    ProduceServiceGrpc.newBlockingStub(channel(leader())).withDeadlineAfter(15, TimeUnit.SECONDS)
        .produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic("in").setPartition(0)
            .setRecords(ByteString.copyFrom(RecordBatch.builder().add(1, null, "a".getBytes(StandardCharsets.UTF_8), List.of())
                .add(1, null, "b".getBytes(StandardCharsets.UTF_8), List.of()).build()))).build());
    groups().commitOffsets(CommitOffsetsRequest.newBuilder()
        .setCommit(commit("ops", m.getMemberId(), m.getGeneration(), "in", 0, 1)).build());
    GroupDescription d = groups().describeGroup(DescribeGroupRequest.newBuilder().setGroupId("ops").build());
    assertEquals(1, d.getMembersCount());
    var p0 = d.getOffsetsList().stream().filter(o -> o.getPartition() == 0 && o.getTopic().equals("in")).findFirst().orElseThrow();
    assertEquals(1, p0.getCommittedOffset());
    assertTrue(p0.getEndOffset() >= 2);
    assertEquals(p0.getEndOffset() - 1, p0.getLag());
    assertEquals(m.getMemberId(), p0.getMemberId());

    expectError(Status.Code.FAILED_PRECONDITION, "GROUP_NOT_EMPTY", () -> groups().resetOffsets(ResetOffsetsRequest
        .newBuilder().setGroupId("ops").setTopic("in").setMode(OffsetResetMode.OFFSET_RESET_MODE_EARLIEST).build()));
    expectError(Status.Code.FAILED_PRECONDITION, "GROUP_NOT_EMPTY", () -> groups().deleteGroup(
        DeleteGroupRequest.newBuilder().setGroupId("ops").build()));
    groups().leaveGroup(LeaveGroupRequest.newBuilder().setGroupId("ops").setMemberId(m.getMemberId()).build());
    var reset = groups().resetOffsets(ResetOffsetsRequest.newBuilder().setGroupId("ops").setTopic("in")
        .setMode(OffsetResetMode.OFFSET_RESET_MODE_LATEST).build());
    assertEquals(2, reset.getOffsetsCount());
    assertEquals(p0.getEndOffset(), offsets("ops").get("in-0"));
    groups().deleteGroup(DeleteGroupRequest.newBuilder().setGroupId("ops").build());
    assertTrue(groups().listGroups(ListGroupsRequest.getDefaultInstance()).getGroupsList().stream()
        .noneMatch(g -> g.getGroupId().equals("ops")));
    assertEquals(Map.of(), offsets("ops"), "offsets are deleted with the group");
  }

  @Test
  void aSilentMemberIsExpiredByTheLeader() {
    JoinGroupResponse m = groups().joinGroup(JoinGroupRequest.newBuilder().setGroupId("quiet").addTopics("in")
        .setSessionTimeoutMs(1000).build());
    TestCluster.await(Duration.ofSeconds(30), "the silent member to be expired", () -> groups()
        .describeGroup(DescribeGroupRequest.newBuilder().setGroupId("quiet").build()).getMembersCount() == 0);
    expectError(Status.Code.FAILED_PRECONDITION, "UNKNOWN_MEMBER_ID", () -> groups().heartbeat(HeartbeatRequest
        .newBuilder().setGroupId("quiet").setMemberId(m.getMemberId()).setGeneration(1).build()));
  }

  @Test
  void concurrentCommitsShareRaftEntries() throws Exception {
    JoinGroupResponse m = join("batched", "", "in");
    GroupServiceGrpc.GroupServiceFutureStub async = GroupServiceGrpc.newFutureStub(channel(leader()));
    List<com.google.common.util.concurrent.ListenableFuture<io.sluice.api.v1.CommitOffsetsResponse>> futures =
        new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      futures.add(async.withDeadlineAfter(30, TimeUnit.SECONDS).commitOffsets(CommitOffsetsRequest.newBuilder()
          .setCommit(commit("batched", m.getMemberId(), m.getGeneration(), "in", i % 2, i)).build()));
    }
    java.util.Set<Long> entries = new java.util.HashSet<>();
    for (var f : futures) {
      entries.add(f.get(60, TimeUnit.SECONDS).getCommitIndex());
    }
    System.out.println("figure: 64 concurrent offset commits took " + entries.size() + " Raft entries");
    assertTrue(entries.size() < 64, "64 concurrent commits took " + entries.size() + " Raft entries");
    // Each partition holds one of the offsets committed for it (concurrent calls have no order).
    Map<String, Long> committed = offsets("batched");
    assertEquals(0, committed.get("in-0") % 2, committed.toString());
    assertEquals(1, committed.get("in-1") % 2, committed.toString());
  }

  private static PartitionBatch batch(String topic, String value) {
    return PartitionBatch.newBuilder().setTopic(topic).setPartition(0).setRecords(ByteString.copyFrom(
        RecordBatch.builder().add(1, null, value.getBytes(StandardCharsets.UTF_8), List.of()).build())).build();
  }
}
