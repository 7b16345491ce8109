package io.sluice.node;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.CommitOffsetsRequest;
import io.sluice.api.v1.CommitOffsetsResponse;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.DeleteGroupRequest;
import io.sluice.api.v1.DeleteGroupResponse;
import io.sluice.api.v1.DescribeGroupRequest;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.FetchOffsetsRequest;
import io.sluice.api.v1.FetchOffsetsResponse;
import io.sluice.api.v1.GroupDescription;
import io.sluice.api.v1.GroupListing;
import io.sluice.api.v1.GroupMemberDescription;
import io.sluice.api.v1.GroupPartitionOffset;
import io.sluice.api.v1.GroupServiceGrpc;
import io.sluice.api.v1.GroupState;
import io.sluice.api.v1.HeartbeatRequest;
import io.sluice.api.v1.HeartbeatResponse;
import io.sluice.api.v1.JoinGroupRequest;
import io.sluice.api.v1.JoinGroupResponse;
import io.sluice.api.v1.LeaveGroupRequest;
import io.sluice.api.v1.LeaveGroupResponse;
import io.sluice.api.v1.ListGroupsRequest;
import io.sluice.api.v1.ListGroupsResponse;
import io.sluice.api.v1.OffsetResetMode;
import io.sluice.api.v1.PartitionRef;
import io.sluice.api.v1.ResetOffsetsRequest;
import io.sluice.api.v1.ResetOffsetsResponse;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.DeleteGroup;
import io.sluice.internal.v1.JoinGroup;
import io.sluice.internal.v1.LeaveGroup;
import io.sluice.internal.v1.PartitionState;
import io.sluice.internal.v1.ResetGroupOffsets;
import io.sluice.internal.v1.StoredGroup;
import io.sluice.internal.v1.StoredMember;
import io.sluice.internal.v1.StoredOffset;
import io.sluice.protocol.GroupIds;
import io.sluice.statemachine.Assignors;
import io.sluice.statemachine.CommandRejectedException;
import io.sluice.statemachine.CommandValidator;
import io.sluice.statemachine.LogCore;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Consumer groups over gRPC (see sluice.v1.GroupService for the protocol). Writes go through Raft
 * on the leader; Heartbeat is answered by the leader from its applied state and its in-memory
 * liveness table ({@link GroupCoordinator}); the reads are served by any node from its applied
 * state, after waiting for an optional min_applied_index.
 *
 * <p>Thread-safe.
 */
final class GroupService extends GroupServiceGrpc.GroupServiceImplBase {
  private static final long TOKEN_WAIT_MS = 5000;

  private final SluiceNode node;
  private final GroupCoordinator coordinator;
  private final CommitBatcher commits;

  GroupService(SluiceNode node, GroupCoordinator coordinator, CommitBatcher commits) {
    this.node = node;
    this.coordinator = coordinator;
    this.commits = commits;
  }

  @Override
  public void joinGroup(JoinGroupRequest request, StreamObserver<JoinGroupResponse> observer) {
    NodeConfig config = node.config();
    long sessionMin = config.getLong(NodeConfig.GROUP_SESSION_TIMEOUT_MS_MIN);
    long sessionMax = config.getLong(NodeConfig.GROUP_SESSION_TIMEOUT_MS_MAX);
    long rebalanceMax = config.getLong(NodeConfig.GROUP_REBALANCE_TIMEOUT_MS_MAX);
    int session = request.getSessionTimeoutMs();
    int rebalance = request.getRebalanceTimeoutMs() == 0 ? session : request.getRebalanceTimeoutMs();
    if (session < sessionMin || session > sessionMax) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.INVALID_SESSION_TIMEOUT, "session timeout " + session
          + " ms is outside " + sessionMin + ".." + sessionMax + " ms (group.session.timeout.ms.min/max)"));
      return;
    }
    if (rebalance < 1 || rebalance > rebalanceMax) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.INVALID_SESSION_TIMEOUT, "rebalance timeout " + rebalance
          + " ms is outside 1.." + rebalanceMax + " ms (group.rebalance.timeout.ms.max)"));
      return;
    }
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setJoinGroup(JoinGroup.newBuilder()
            .setGroupId(request.getGroupId()).setMemberId(request.getMemberId()).setClientId(request.getClientId())
            .addAllTopics(new TreeSet<>(request.getTopicsList()))
            .setSessionTimeoutMs(session).setRebalanceTimeoutMs(rebalance).setStrategy(request.getStrategy())
            .setMembersMax(config.getInt(NodeConfig.GROUP_MEMBERS_MAX))
            .setGroupsMax(config.getInt(NodeConfig.GROUPS_MAX)))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      StoredGroup g = outcome.result().getGroup().getGroup();
      String memberId = outcome.result().getGroup().getMemberId();
      coordinator.touch(g.getGroupId(), memberId);
      JoinGroupResponse.Builder r = JoinGroupResponse.newBuilder().setMemberId(memberId).setState(g.getState())
          .setGeneration(g.getGeneration()).setAppliedIndex(outcome.raftIndex());
      if (g.getState() == GroupState.GROUP_STATE_STABLE) {
        member(g, memberId).ifPresent(m -> r.addAllAssignment(m.getAssignmentList()));
      }
      return r.build();
    });
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
    StatusRuntimeException refusal = node.leaderRefusal();
    if (refusal != null) {
      Replies.fail(observer, refusal);
      return;
    }
    Optional<StoredGroup> group = node.core().group(request.getGroupId());
    if (group.isEmpty()) {
      Replies.fail(observer, unknownGroup(request.getGroupId()));
      return;
    }
    StoredGroup g = group.get();
    Optional<StoredMember> member = member(g, request.getMemberId());
    if (member.isEmpty()) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.UNKNOWN_MEMBER_ID, "member '" + request.getMemberId()
          + "' is not in group '" + g.getGroupId() + "' (it left or was expired); join again"));
      return;
    }
    coordinator.touch(g.getGroupId(), request.getMemberId());
    HeartbeatResponse.Builder r = HeartbeatResponse.newBuilder().setState(g.getState()).setGeneration(g.getGeneration())
        .setRejoinRequired(g.getState() == GroupState.GROUP_STATE_PREPARING_REBALANCE && !member.get().getRejoined())
        .setAppliedIndex(node.core().applied().index());
    if (g.getState() == GroupState.GROUP_STATE_STABLE) {
      r.addAllAssignment(member.get().getAssignmentList());
    }
    Replies.complete(observer, r.build(), null);
  }

  @Override
  public void leaveGroup(LeaveGroupRequest request, StreamObserver<LeaveGroupResponse> observer) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setLeaveGroup(LeaveGroup.newBuilder().setGroupId(request.getGroupId()).setMemberId(request.getMemberId()))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      coordinator.forget(request.getGroupId(), request.getMemberId());
      return LeaveGroupResponse.getDefaultInstance();
    });
  }

  @Override
  public void commitOffsets(CommitOffsetsRequest request, StreamObserver<CommitOffsetsResponse> observer) {
    StatusRuntimeException refusal = node.writeRefusal();
    if (refusal != null) {
      Replies.fail(observer, refusal);
      return;
    }
    try {
      // Checked one by one here: a bad commit must not sink the batch it would share an entry with.
      CommandValidator.validateCommit(request.getCommit());
    } catch (CommandRejectedException e) {
      Replies.fail(observer, Errors.notWritten(e.reason(), e.getMessage()));
      return;
    }
    coordinator.touch(request.getCommit().getGroupId(), request.getCommit().getMemberId());
    commits.submit(request.getCommit()).whenComplete((outcome, error) -> {
      if (error != null) {
        Replies.fail(observer, error);
      } else if (outcome.error() != null) {
        Replies.fail(observer, Replies.fromCommandError(outcome.error()));
      } else {
        Replies.complete(observer, CommitOffsetsResponse.newBuilder().setCommitIndex(outcome.raftIndex()).build(), null);
      }
    });
  }

  @Override
  public void fetchOffsets(FetchOffsetsRequest request, StreamObserver<FetchOffsetsResponse> observer) {
    afterApplied(request.getMinAppliedIndex(), observer, () -> {
      Set<Assignors.Tp> wanted = new HashSet<>();
      for (PartitionRef p : request.getPartitionsList()) {
        wanted.add(new Assignors.Tp(p.getTopic(), p.getPartition()));
      }
      long applied = node.core().applied().index();
      FetchOffsetsResponse.Builder r = FetchOffsetsResponse.newBuilder().setAppliedIndex(applied);
      node.core().committedOffsets(request.getGroupId()).forEach((tp, o) -> {
        if (wanted.isEmpty() || wanted.contains(tp)) {
          r.addOffsets(CommittedOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
              .setOffset(o.getOffset()).setMetadata(o.getMetadata()));
        }
      });
      return r.build();
    });
  }

  @Override
  public void describeGroup(DescribeGroupRequest request, StreamObserver<GroupDescription> observer) {
    LogCore core = node.core();
    long applied = core.applied().index();
    Optional<StoredGroup> group = core.group(request.getGroupId());
    if (group.isEmpty()) {
      Replies.fail(observer, unknownGroup(request.getGroupId()));
      return;
    }
    StoredGroup g = group.get();
    GroupDescription.Builder d = GroupDescription.newBuilder().setGroupId(g.getGroupId()).setState(g.getState())
        .setGeneration(g.getGeneration()).setStrategy(g.getStrategy()).setAppliedIndex(applied);
    Map<Assignors.Tp, String> owners = new TreeMap<>();
    for (StoredMember m : g.getMembersList()) {
      GroupMemberDescription.Builder md = GroupMemberDescription.newBuilder().setMemberId(m.getMemberId())
          .setClientId(m.getClientId()).addAllTopics(m.getTopicsList()).setSessionTimeoutMs(m.getSessionTimeoutMs());
      if (g.getState() == GroupState.GROUP_STATE_STABLE) {
        md.addAllAssignment(m.getAssignmentList());
        m.getAssignmentList().forEach(p -> owners.put(new Assignors.Tp(p.getTopic(), p.getPartition()), m.getMemberId()));
      }
      d.addMembers(md);
    }
    SortedMap<Assignors.Tp, StoredOffset> committed = core.committedOffsets(g.getGroupId());
    Set<Assignors.Tp> all = new TreeSet<>(committed.keySet());
    all.addAll(owners.keySet());
    for (Assignors.Tp tp : all) {
      Optional<LogCore.TopicView> view = core.topicView(tp.topic());
      if (view.isEmpty() || tp.partition() >= view.get().partitions().size()) {
        continue;
      }
      PartitionState ps = view.get().partitions().get(tp.partition());
      StoredOffset o = committed.get(tp);
      long committedOffset = o == null ? -1 : o.getOffset();
      long lag = ps.getNextOffset() - (o == null ? ps.getLogStartOffset() : o.getOffset());
      d.addOffsets(GroupPartitionOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
          .setCommittedOffset(committedOffset).setEndOffset(ps.getNextOffset()).setLag(Math.max(0, lag))
          .setMemberId(owners.getOrDefault(tp, "")).setMetadata(o == null ? "" : o.getMetadata()));
    }
    Replies.complete(observer, d.build(), null);
  }

  @Override
  public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> observer) {
    ListGroupsResponse.Builder r = ListGroupsResponse.newBuilder();
    io.sluice.node.security.Principal principal = io.sluice.node.security.Principal.current();
    for (StoredGroup g : node.core().groups()) {
      if (!node.authorizer().allowed(principal, io.sluice.node.security.Authorizer.Kind.GROUP, g.getGroupId(),
          io.sluice.api.v1.AclOperation.ACL_OPERATION_DESCRIBE)) {
        continue; // only the groups the caller may describe
      }
      r.addGroups(GroupListing.newBuilder().setGroupId(g.getGroupId()).setState(g.getState())
          .setGeneration(g.getGeneration()).setMembers(g.getMembersCount()));
    }
    Replies.complete(observer, r.build(), null);
  }

  @Override
  public void resetOffsets(ResetOffsetsRequest request, StreamObserver<ResetOffsetsResponse> observer) {
    if (request.getMode() == OffsetResetMode.OFFSET_RESET_MODE_UNSPECIFIED
        || request.getMode() == OffsetResetMode.UNRECOGNIZED) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.INVALID_REQUEST,
          "reset-offsets needs a mode: earliest, latest or a given offset"));
      return;
    }
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setResetGroupOffsets(ResetGroupOffsets.newBuilder().setGroupId(request.getGroupId())
            .setTopic(request.getTopic()).setMode(request.getMode()).setOffset(request.getOffset()))
        .build();
    Replies.propose(node, command, observer, outcome -> ResetOffsetsResponse.newBuilder()
        .addAllOffsets(outcome.result().getReset().getOffsetsList()).build());
  }

  @Override
  public void deleteGroup(DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> observer) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setDeleteGroup(DeleteGroup.newBuilder().setGroupId(request.getGroupId())).build();
    Replies.propose(node, command, observer, outcome -> DeleteGroupResponse.getDefaultInstance());
  }

  private static Optional<StoredMember> member(StoredGroup g, String memberId) {
    return g.getMembersList().stream().filter(m -> m.getMemberId().equals(memberId)).findFirst();
  }

  private static StatusRuntimeException unknownGroup(String groupId) {
    String problem = GroupIds.problem(groupId);
    return problem != null ? Errors.notWritten(ErrorReason.INVALID_GROUP_ID, problem)
        : Errors.notWritten(ErrorReason.UNKNOWN_GROUP, "group '" + groupId + "' does not exist");
  }

  /** Answers once this node has applied {@code minIndex} (NOT_CAUGHT_UP after 5 s). */
  private <T> void afterApplied(long minIndex, StreamObserver<T> observer, java.util.function.Supplier<T> answer) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TOKEN_WAIT_MS);
    waitApplied(minIndex, deadline).whenComplete((caughtUp, e) -> {
      if (!caughtUp) {
        Replies.fail(observer, Errors.notWritten(ErrorReason.NOT_CAUGHT_UP, "node " + node.id() + " has applied index "
            + node.core().applied().index() + ", not yet the requested " + minIndex + "; try the leader or retry"));
        return;
      }
      T value;
      try {
        value = answer.get();
      } catch (RuntimeException ex) {
        Replies.fail(observer, ex);
        return;
      }
      Replies.complete(observer, value, null);
    });
  }

  private CompletableFuture<Boolean> waitApplied(long minIndex, long deadlineNanos) {
    CompletableFuture<Void> next = node.applySignal().next();
    if (node.core().applied().index() >= minIndex) {
      return CompletableFuture.completedFuture(true);
    }
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      return CompletableFuture.completedFuture(false);
    }
    CompletableFuture<Void> timeout = new CompletableFuture<Void>().completeOnTimeout(null, remaining, TimeUnit.NANOSECONDS);
    return next.applyToEither(timeout, v -> v).thenCompose(v -> waitApplied(minIndex, deadlineNanos));
  }

  static List<String> sortedTopics(List<String> topics) {
    return List.copyOf(new TreeSet<>(topics));
  }
}
