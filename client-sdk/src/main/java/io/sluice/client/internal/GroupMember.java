package io.sluice.client.internal;

import io.sluice.api.v1.AssignmentStrategy;
import io.sluice.api.v1.CommitOffsetsRequest;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.FetchOffsetsRequest;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.api.v1.GroupState;
import io.sluice.api.v1.HeartbeatRequest;
import io.sluice.api.v1.HeartbeatResponse;
import io.sluice.api.v1.JoinGroupRequest;
import io.sluice.api.v1.JoinGroupResponse;
import io.sluice.api.v1.LeaveGroupRequest;
import io.sluice.api.v1.PartitionRef;
import io.sluice.client.CommitFailedException;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A group consumer's membership: the GroupService calls (join, heartbeat, commit, fetch offsets,
 * leave) and the background heartbeat, which only records what it learns (rejoin needed, member
 * lost); the consumer acts on it inside poll.
 *
 * <p>Thread-safe: the consumer thread and the client's timer thread (heartbeats) share it; the
 * fields they share are volatile and each is written by one side only, except the flags, which
 * the consumer clears.
 */
final class GroupMember {
  private static final Logger log = LoggerFactory.getLogger(GroupMember.class);

  private final ClientContext ctx;
  private final ConsumerConfig config;
  private final String groupId;
  private volatile String memberId = "";
  private volatile int generation;
  private volatile boolean rejoinRequired;
  private volatile boolean lost;
  private final AtomicBoolean heartbeatInFlight = new AtomicBoolean();
  private ScheduledFuture<?> heartbeats;

  GroupMember(ClientContext ctx, ConsumerConfig config) {
    this.ctx = ctx;
    this.config = config;
    this.groupId = config.groupId();
  }

  String groupId() {
    return groupId;
  }

  String memberId() {
    return memberId;
  }

  int generation() {
    return generation;
  }

  boolean isMember() {
    return !memberId.isEmpty();
  }

  /** A heartbeat saw a rebalance this member must rejoin (or a generation it does not have). */
  boolean rejoinRequired() {
    return rejoinRequired;
  }

  /** A heartbeat found the member gone (expired, or the group deleted): it must join afresh. */
  boolean lost() {
    return lost;
  }

  void clearFlags() {
    rejoinRequired = false;
    lost = false;
  }

  /** Forgets the member id (after it was lost): the next join is a new member. */
  void reset() {
    memberId = "";
    generation = 0;
  }

  /** Joins or rejoins; a member id the group no longer knows is dropped and the join retried as new. */
  JoinGroupResponse join(Collection<String> topics) {
    try {
      return joinOnce(topics);
    } catch (CommitFailedException e) {
      if (!"UNKNOWN_MEMBER_ID".equals(e.reason())) {
        throw e;
      }
      log.info("group {}: member {} is no longer known; joining as a new member", groupId, memberId);
      reset();
      return joinOnce(topics);
    }
  }

  private JoinGroupResponse joinOnce(Collection<String> topics) {
    JoinGroupRequest req = JoinGroupRequest.newBuilder().setGroupId(groupId).setMemberId(memberId)
        .setClientId(config.clientId()).addAllTopics(topics)
        .setSessionTimeoutMs((int) config.sessionTimeout().toMillis())
        .setRebalanceTimeoutMs((int) config.rebalanceTimeout().toMillis())
        .setStrategy(strategy())
        .build();
    JoinGroupResponse r = Futures.join(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "joinGroup " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.JOIN_GROUP, req, timeout, true)));
    memberId = r.getMemberId();
    startHeartbeats();
    return r;
  }

  private AssignmentStrategy strategy() {
    return switch (config.assignmentStrategy()) {
      case ROUND_ROBIN -> AssignmentStrategy.ASSIGNMENT_STRATEGY_ROUND_ROBIN;
      case STICKY -> AssignmentStrategy.ASSIGNMENT_STRATEGY_STICKY;
      case RANGE -> AssignmentStrategy.ASSIGNMENT_STRATEGY_RANGE;
    };
  }

  /** The generation this member now has its assignment for. */
  void adopt(int generation) {
    this.generation = generation;
  }

  /** One heartbeat, waited for (used while waiting for the group's next generation). */
  HeartbeatResponse heartbeatNow() {
    return Futures.join(heartbeatCall());
  }

  private CompletableFuture<HeartbeatResponse> heartbeatCall() {
    HeartbeatRequest req = HeartbeatRequest.newBuilder().setGroupId(groupId).setMemberId(memberId)
        .setGeneration(generation).build();
    return RetryingCall.run(ctx, RetryingCall.Target.LEADER, false, "heartbeat " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.HEARTBEAT, req, timeout, false));
  }

  private synchronized void startHeartbeats() {
    if (heartbeats == null) {
      long every = config.heartbeatInterval().toNanos();
      heartbeats = ctx.scheduler().scheduleWithFixedDelay(this::heartbeatInBackground, every, every, TimeUnit.NANOSECONDS);
    }
  }

  private void heartbeatInBackground() {
    if (!isMember() || !heartbeatInFlight.compareAndSet(false, true)) {
      return;
    }
    int sentFor = generation;
    heartbeatCall().whenComplete((h, e) -> {
      heartbeatInFlight.set(false);
      if (e != null) {
        SluiceException se = ErrorMapper.map(e, false, true, "leader");
        if ("UNKNOWN_MEMBER_ID".equals(se.reason()) || "UNKNOWN_GROUP".equals(se.reason())) {
          lost = true;
        } else {
          log.debug("group {}: heartbeat failed: {}", groupId, se.getMessage());
        }
        return;
      }
      noteHeartbeat(h, sentFor);
    });
  }

  /** Records what a heartbeat says about the member's assignment. */
  void noteHeartbeat(HeartbeatResponse h, int sentFor) {
    if (h.getRejoinRequired()) {
      rejoinRequired = true;
    } else if (h.getState() == GroupState.GROUP_STATE_STABLE && sentFor != 0 && h.getGeneration() != sentFor
        && sentFor == generation) {
      rejoinRequired = true; // a generation this member has no assignment for
    }
  }

  CompletableFuture<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!isMember() || generation == 0) {
      return Futures.failed(new IllegalStateException("the consumer is not a member of group " + groupId
          + " with an assignment (poll first)"));
    }
    GroupOffsetCommit.Builder c = GroupOffsetCommit.newBuilder().setGroupId(groupId).setMemberId(memberId)
        .setGeneration(generation);
    offsets.forEach((tp, o) -> c.addOffsets(CommittedOffset.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())
        .setOffset(o.offset()).setMetadata(o.metadata())));
    CommitOffsetsRequest req = CommitOffsetsRequest.newBuilder().setCommit(c).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "commitOffsets " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.COMMIT_OFFSETS, req, timeout, true)), r -> null);
  }

  /** Committed offsets, read from a node that has applied at least {@code minAppliedIndex}. */
  Map<TopicPartition, OffsetAndMetadata> committed(Collection<TopicPartition> partitions, long minAppliedIndex) {
    FetchOffsetsRequest.Builder req = FetchOffsetsRequest.newBuilder().setGroupId(groupId)
        .setMinAppliedIndex(minAppliedIndex);
    partitions.forEach(tp -> req.addPartitions(PartitionRef.newBuilder().setTopic(tp.topic()).setPartition(tp.partition())));
    FetchOffsetsRequest request = req.build();
    List<CommittedOffset> offsets = Futures.join(RetryingCall.run(ctx, RetryingCall.Target.LEADER, false,
        "fetchOffsets " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.FETCH_OFFSETS, request, timeout, false)))
        .getOffsetsList();
    Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
    offsets.forEach(o -> out.put(new TopicPartition(o.getTopic(), o.getPartition()),
        new OffsetAndMetadata(o.getOffset(), o.getMetadata())));
    return out;
  }

  /** Leaves the group (best effort) and stops heartbeating. */
  void leave() {
    stopHeartbeats();
    if (!isMember()) {
      return;
    }
    LeaveGroupRequest req = LeaveGroupRequest.newBuilder().setGroupId(groupId).setMemberId(memberId).build();
    try {
      Futures.join(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "leaveGroup " + groupId,
          (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LEAVE_GROUP, req, timeout, true)));
    } catch (SluiceException e) {
      log.info("group {}: leaving failed ({}); the group expires member {} after its session timeout", groupId,
          e.getMessage(), memberId);
    }
    reset();
  }

  synchronized void stopHeartbeats() {
    if (heartbeats != null) {
      heartbeats.cancel(false);
      heartbeats = null;
    }
  }
}
