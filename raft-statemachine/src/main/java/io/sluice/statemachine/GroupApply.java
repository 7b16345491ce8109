package io.sluice.statemachine;

import io.sluice.api.v1.AssignmentStrategy;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.api.v1.GroupState;
import io.sluice.api.v1.PartitionRef;
import io.sluice.internal.v1.CommandError;
import io.sluice.internal.v1.CommandResult;
import io.sluice.internal.v1.CommitOffsets;
import io.sluice.internal.v1.CommitOffsetsResult;
import io.sluice.internal.v1.DeleteGroup;
import io.sluice.internal.v1.ExpireMembers;
import io.sluice.internal.v1.GroupResult;
import io.sluice.internal.v1.JoinGroup;
import io.sluice.internal.v1.LeaveGroup;
import io.sluice.internal.v1.PartitionState;
import io.sluice.internal.v1.ResetGroupOffsets;
import io.sluice.internal.v1.ResetOffsetsResult;
import io.sluice.internal.v1.StoredGroup;
import io.sluice.internal.v1.StoredMember;
import io.sluice.internal.v1.StoredOffset;
import io.sluice.internal.v1.TopicState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Applies the consumer-group commands of {@link LogCore}: membership, generations, assignment and
 * committed offsets. Deterministic like the rest of apply: group state changes only through these
 * commands, assignment is computed from sorted inputs by {@link Assignors}, and liveness decisions
 * (expiry) arrive as commands from the leader.
 *
 * <p>The state of a group: EMPTY (no members) → a join makes it PREPARING_REBALANCE (generation
 * unchanged, every other member must rejoin) → when all members have rejoined it becomes STABLE with
 * generation + 1 and a new assignment. A leave or expiry of a member of a STABLE group makes it
 * PREPARING_REBALANCE again; the last member leaving makes it EMPTY with generation + 1. Commits are
 * accepted only from a current member carrying the current generation (and not from a member that
 * already rejoined during a rebalance, whose partitions are revoked).
 *
 * <p>Only the applying thread calls the apply methods.
 */
final class GroupApply {
  private final LogCore core;

  GroupApply(LogCore core) {
    this.core = core;
  }

  static AssignmentStrategy normalize(AssignmentStrategy s) {
    return s == AssignmentStrategy.ASSIGNMENT_STRATEGY_UNSPECIFIED || s == AssignmentStrategy.UNRECOGNIZED
        ? AssignmentStrategy.ASSIGNMENT_STRATEGY_RANGE : s;
  }

  CommandResult join(long index, JoinGroup c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    StoredGroup g = core.groupState(c.getGroupId());
    AssignmentStrategy strategy = normalize(c.getStrategy());
    if (g == null) {
      if (core.groupCount() >= c.getGroupsMax()) {
        return LogCore.error(ErrorReason.TOO_MANY_GROUPS, "the cluster already has " + core.groupCount()
            + " consumer groups (groups.max " + c.getGroupsMax() + "); delete unused groups");
      }
      g = StoredGroup.newBuilder().setGroupId(c.getGroupId()).setGeneration(0)
          .setState(GroupState.GROUP_STATE_EMPTY).setStrategy(strategy).build();
    }
    if (g.getMembersCount() > 0 && g.getStrategy() != strategy) {
      return LogCore.error(ErrorReason.INCONSISTENT_GROUP_PROTOCOL, "group '" + g.getGroupId() + "' uses "
          + g.getStrategy().name() + " but the member asks for " + strategy.name());
    }
    List<StoredMember> members = new ArrayList<>(g.getMembersList());
    String memberId = c.getMemberId();
    boolean changed;
    StoredMember.Builder self = StoredMember.newBuilder()
        .setClientId(c.getClientId()).addAllTopics(c.getTopicsList())
        .setSessionTimeoutMs(c.getSessionTimeoutMs()).setRebalanceTimeoutMs(c.getRebalanceTimeoutMs())
        .setRejoined(true);
    if (memberId.isEmpty()) {
      if (members.size() >= c.getMembersMax()) {
        return LogCore.error(ErrorReason.GROUP_MAX_SIZE_REACHED, "group '" + g.getGroupId() + "' already has "
            + members.size() + " members (group.members.max " + c.getMembersMax() + ")");
      }
      // The entry's Raft index is unique for the cluster's life: no two joins get the same id.
      memberId = (c.getClientId().isEmpty() ? "member" : c.getClientId()) + "-" + index;
      members.add(self.setMemberId(memberId).build());
      changed = true;
    } else {
      int i = indexOf(members, memberId);
      if (i < 0) {
        return LogCore.error(ErrorReason.UNKNOWN_MEMBER_ID, "member '" + memberId + "' is not in group '"
            + g.getGroupId() + "' (it left or was expired); join again with an empty member id");
      }
      StoredMember old = members.get(i);
      changed = !old.getTopicsList().equals(c.getTopicsList());
      members.set(i, self.setMemberId(memberId).addAllAssignment(old.getAssignmentList()).build());
    }
    StoredGroup.Builder next = g.toBuilder().setStrategy(strategy);
    if (g.getState() != GroupState.GROUP_STATE_PREPARING_REBALANCE) {
      if (!changed) {
        // A rejoin with nothing new while stable: the assignment stands.
        return groupResult(g, memberId);
      }
      for (int i = 0; i < members.size(); i++) {
        StoredMember m = members.get(i);
        members.set(i, m.toBuilder().setRejoined(m.getMemberId().equals(memberId)).build());
      }
      next.setState(GroupState.GROUP_STATE_PREPARING_REBALANCE);
    }
    members.sort(Comparator.comparing(StoredMember::getMemberId));
    next.clearMembers().addAllMembers(members);
    StoredGroup after = maybeComplete(next.build());
    put(after, batch, fx);
    return groupResult(after, memberId);
  }

  CommandResult leave(LeaveGroup c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    StoredGroup g = core.groupState(c.getGroupId());
    if (g == null) {
      return LogCore.error(ErrorReason.UNKNOWN_GROUP, "group '" + c.getGroupId() + "' does not exist");
    }
    if (indexOf(g.getMembersList(), c.getMemberId()) < 0) {
      return LogCore.error(ErrorReason.UNKNOWN_MEMBER_ID, "member '" + c.getMemberId() + "' is not in group '"
          + c.getGroupId() + "'");
    }
    StoredGroup after = remove(g, Set.of(c.getMemberId()));
    put(after, batch, fx);
    return groupResult(after, "");
  }

  CommandResult expire(ExpireMembers c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    StoredGroup g = core.groupState(c.getGroupId());
    if (g == null) {
      return LogCore.ok();
    }
    Set<String> gone = new HashSet<>(c.getMemberIdsList());
    if (g.getMembersList().stream().noneMatch(m -> gone.contains(m.getMemberId()))) {
      return groupResult(g, ""); // already left: nothing to do
    }
    StoredGroup after = remove(g, gone);
    put(after, batch, fx);
    return groupResult(after, "");
  }

  private StoredGroup remove(StoredGroup g, Set<String> gone) {
    List<StoredMember> members = new ArrayList<>();
    for (StoredMember m : g.getMembersList()) {
      if (!gone.contains(m.getMemberId())) {
        members.add(m);
      }
    }
    StoredGroup.Builder next = g.toBuilder().clearMembers();
    if (members.isEmpty()) {
      // The generation moves on so that a commit from a departed member can never land.
      return next.setState(GroupState.GROUP_STATE_EMPTY).setGeneration(g.getGeneration() + 1).build();
    }
    if (g.getState() != GroupState.GROUP_STATE_PREPARING_REBALANCE) {
      members.replaceAll(m -> m.toBuilder().setRejoined(false).build());
      next.setState(GroupState.GROUP_STATE_PREPARING_REBALANCE);
    }
    return maybeComplete(next.addAllMembers(members).build());
  }

  /** Completes a rebalance once every member has rejoined: next generation, new assignment. */
  private StoredGroup maybeComplete(StoredGroup g) {
    if (g.getState() != GroupState.GROUP_STATE_PREPARING_REBALANCE
        || !g.getMembersList().stream().allMatch(StoredMember::getRejoined)) {
      return g;
    }
    List<Assignors.Member> in = new ArrayList<>();
    for (StoredMember m : g.getMembersList()) {
      List<Assignors.Tp> previous = m.getAssignmentList().stream()
          .map(r -> new Assignors.Tp(r.getTopic(), r.getPartition())).toList();
      in.add(new Assignors.Member(m.getMemberId(), new TreeSet<>(m.getTopicsList()), previous));
    }
    Map<String, Integer> counts = new TreeMap<>();
    for (StoredMember m : g.getMembersList()) {
      for (String topic : m.getTopicsList()) {
        core.topic(topic).ifPresent(t -> counts.put(t.getName(), t.getPartitions()));
      }
    }
    SortedMap<String, List<Assignors.Tp>> assignment = Assignors.assign(g.getStrategy(), in, counts);
    StoredGroup.Builder next = g.toBuilder().clearMembers()
        .setGeneration(g.getGeneration() + 1).setState(GroupState.GROUP_STATE_STABLE);
    for (StoredMember m : g.getMembersList()) {
      StoredMember.Builder b = m.toBuilder().setRejoined(false).clearAssignment();
      for (Assignors.Tp tp : assignment.get(m.getMemberId())) {
        b.addAssignment(PartitionRef.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()));
      }
      next.addMembers(b);
    }
    return next.build();
  }

  /**
   * Checks that {@code commit} may be written: a current member with the current generation, not
   * already rejoined in a rebalance, and every partition exists. Null when it may.
   */
  CommandError fence(GroupOffsetCommit commit) {
    StoredGroup g = core.groupState(commit.getGroupId());
    if (g == null) {
      return err(ErrorReason.UNKNOWN_GROUP, "group '" + commit.getGroupId() + "' does not exist");
    }
    int i = indexOf(g.getMembersList(), commit.getMemberId());
    if (i < 0) {
      return err(ErrorReason.UNKNOWN_MEMBER_ID, "member '" + commit.getMemberId() + "' is not in group '"
          + commit.getGroupId() + "' (it left or was expired); nothing was written");
    }
    if (commit.getGeneration() != g.getGeneration()) {
      return err(ErrorReason.ILLEGAL_GENERATION, "generation " + commit.getGeneration() + " of group '"
          + commit.getGroupId() + "' is not the current generation " + g.getGeneration()
          + " (the group rebalanced); nothing was written");
    }
    if (g.getState() == GroupState.GROUP_STATE_PREPARING_REBALANCE && g.getMembers(i).getRejoined()) {
      return err(ErrorReason.REBALANCE_IN_PROGRESS, "member '" + commit.getMemberId() + "' already rejoined group '"
          + commit.getGroupId() + "', which is rebalancing: its partitions are revoked; nothing was written");
    }
    for (CommittedOffset o : commit.getOffsetsList()) {
      TopicState t = core.topic(o.getTopic()).orElse(null);
      if (t == null) {
        return err(ErrorReason.UNKNOWN_TOPIC, "topic '" + o.getTopic() + "' does not exist; nothing was written");
      }
      if (o.getPartition() < 0 || o.getPartition() >= t.getPartitions()) {
        return err(ErrorReason.UNKNOWN_PARTITION, "topic '" + o.getTopic() + "' has no partition "
            + o.getPartition() + "; nothing was written");
      }
    }
    return null;
  }

  /** Writes the offsets of a commit that {@link #fence} accepted. */
  void writeOffsets(GroupOffsetCommit commit, long timestampMs, WriteBatch batch) throws RocksDBException {
    for (CommittedOffset o : commit.getOffsetsList()) {
      long topicId = core.topic(o.getTopic()).orElseThrow().getTopicId();
      batch.put(Keys.offset(commit.getGroupId(), o.getTopic(), o.getPartition()), StoredOffset.newBuilder()
          .setOffset(o.getOffset()).setMetadata(o.getMetadata()).setTopicId(topicId).setCommitTimeMs(timestampMs)
          .build().toByteArray());
    }
  }

  CommandResult commit(long timestampMs, CommitOffsets c, WriteBatch batch) throws RocksDBException {
    CommitOffsetsResult.Builder results = CommitOffsetsResult.newBuilder();
    for (GroupOffsetCommit commit : c.getCommitsList()) {
      CommandError e = fence(commit);
      if (e == null) {
        writeOffsets(commit, timestampMs, batch);
        results.addResults(CommandError.getDefaultInstance());
      } else {
        results.addResults(e);
      }
    }
    return CommandResult.newBuilder().setCommits(results).build();
  }

  CommandResult reset(long timestampMs, ResetGroupOffsets c, WriteBatch batch) throws RocksDBException {
    StoredGroup g = core.groupState(c.getGroupId());
    if (g == null) {
      return LogCore.error(ErrorReason.UNKNOWN_GROUP, "group '" + c.getGroupId() + "' does not exist");
    }
    if (g.getMembersCount() > 0) {
      return LogCore.error(ErrorReason.GROUP_NOT_EMPTY, "group '" + c.getGroupId() + "' has "
          + g.getMembersCount() + " members; stop its consumers before resetting offsets");
    }
    LogCore.TopicView view = core.topicView(c.getTopic()).orElse(null);
    if (view == null) {
      return LogCore.error(ErrorReason.UNKNOWN_TOPIC, "topic '" + c.getTopic() + "' does not exist");
    }
    ResetOffsetsResult.Builder result = ResetOffsetsResult.newBuilder();
    for (int p = 0; p < view.partitions().size(); p++) {
      PartitionState s = view.partitions().get(p);
      long offset = switch (c.getMode()) {
        case OFFSET_RESET_MODE_EARLIEST -> s.getLogStartOffset();
        case OFFSET_RESET_MODE_LATEST -> s.getNextOffset();
        default -> Math.max(s.getLogStartOffset(), Math.min(s.getNextOffset(), c.getOffset()));
      };
      batch.put(Keys.offset(c.getGroupId(), c.getTopic(), p), StoredOffset.newBuilder().setOffset(offset)
          .setTopicId(view.topic().getTopicId()).setCommitTimeMs(timestampMs).build().toByteArray());
      result.addOffsets(CommittedOffset.newBuilder().setTopic(c.getTopic()).setPartition(p).setOffset(offset));
    }
    return CommandResult.newBuilder().setReset(result).build();
  }

  CommandResult delete(DeleteGroup c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    StoredGroup g = core.groupState(c.getGroupId());
    if (g == null) {
      return LogCore.error(ErrorReason.UNKNOWN_GROUP, "group '" + c.getGroupId() + "' does not exist");
    }
    if (g.getMembersCount() > 0) {
      return LogCore.error(ErrorReason.GROUP_NOT_EMPTY, "group '" + c.getGroupId() + "' has "
          + g.getMembersCount() + " members; stop its consumers before deleting it");
    }
    batch.delete(Keys.group(c.getGroupId()));
    byte[] offsets = Keys.offsetsOf(c.getGroupId());
    batch.deleteRange(offsets, Keys.prefixEnd(offsets));
    fx.groupsRemoved.add(c.getGroupId());
    return LogCore.ok();
  }

  private static void put(StoredGroup g, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    batch.put(Keys.group(g.getGroupId()), g.toByteArray());
    fx.groupsPut.put(g.getGroupId(), g);
  }

  private static CommandResult groupResult(StoredGroup g, String memberId) {
    return CommandResult.newBuilder().setGroup(GroupResult.newBuilder().setGroup(g).setMemberId(memberId)).build();
  }

  private static int indexOf(List<StoredMember> members, String memberId) {
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).getMemberId().equals(memberId)) {
        return i;
      }
    }
    return -1;
  }

  private static CommandError err(ErrorReason reason, String message) {
    return CommandError.newBuilder().setReason(reason.name()).setMessage(message).build();
  }
}
