package io.sluice.client.internal;

import io.sluice.api.v1.PartitionDescription;
import io.sluice.api.v1.TopicDescription;
import io.sluice.client.FollowerStatus;
import io.sluice.client.NodeStatus;
import io.sluice.client.PartitionInfo;
import io.sluice.client.TopicInfo;
import java.util.ArrayList;
import java.util.List;

/** Protobuf messages to the SDK's public values. Static; thread-safe. */
public final class Convert {
  private Convert() {}

  public static TopicInfo topic(TopicDescription d) {
    List<PartitionInfo> parts = new ArrayList<>(d.getPartitionsCount());
    for (PartitionDescription p : d.getPartitionsList()) {
      parts.add(new PartitionInfo(p.getPartition(), p.getLogStartOffset(), p.getEndOffset(), p.getBatchCount(),
          p.getSizeBytes()));
    }
    parts.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return new TopicInfo(d.getName(), d.getTopicId(), d.getCreatedTimeMs(), parts, d.getConfigsMap());
  }

  public static NodeStatus nodeStatus(io.sluice.api.v1.NodeStatus s) {
    List<FollowerStatus> followers = new ArrayList<>(s.getFollowersCount());
    for (io.sluice.api.v1.FollowerStatus f : s.getFollowersList()) {
      followers.add(new FollowerStatus(f.getId(), f.getListener(), f.getCommitIndex(), f.getLagEntries(),
          f.getLastContactMs()));
    }
    return new NodeStatus(s.getId(), s.getRole(), s.getTerm(), s.getCommitIndex(), s.getAppliedIndex(),
        s.getLeaderId(), s.getSnapshotIndex(), s.getClientAddress(), s.getRaftAddress(), s.getPid(),
        s.getDiskUsedBytes(), followers);
  }

  /** EMPTY, PREPARING_REBALANCE, STABLE (or UNKNOWN). */
  public static String groupState(io.sluice.api.v1.GroupState state) {
    return switch (state) {
      case GROUP_STATE_EMPTY -> "EMPTY";
      case GROUP_STATE_PREPARING_REBALANCE -> "PREPARING_REBALANCE";
      case GROUP_STATE_STABLE -> "STABLE";
      default -> "UNKNOWN";
    };
  }

  static java.util.List<io.sluice.client.TopicPartition> partitions(java.util.List<io.sluice.api.v1.PartitionRef> refs) {
    return refs.stream().map(r -> new io.sluice.client.TopicPartition(r.getTopic(), r.getPartition())).toList();
  }

  static io.sluice.client.ConsumerGroupDescription group(io.sluice.api.v1.GroupDescription d) {
    java.util.List<io.sluice.client.ConsumerGroupDescription.Member> members = d.getMembersList().stream()
        .map(m -> new io.sluice.client.ConsumerGroupDescription.Member(m.getMemberId(), m.getClientId(),
            java.util.List.copyOf(m.getTopicsList()), java.time.Duration.ofMillis(m.getSessionTimeoutMs()),
            partitions(m.getAssignmentList())))
        .toList();
    java.util.List<io.sluice.client.ConsumerGroupDescription.PartitionOffset> offsets = d.getOffsetsList().stream()
        .map(o -> new io.sluice.client.ConsumerGroupDescription.PartitionOffset(
            new io.sluice.client.TopicPartition(o.getTopic(), o.getPartition()), o.getCommittedOffset(),
            o.getEndOffset(), o.getLag(), o.getMemberId(), o.getMetadata()))
        .toList();
    String strategy = switch (d.getStrategy()) {
      case ASSIGNMENT_STRATEGY_ROUND_ROBIN -> "ROUND_ROBIN";
      case ASSIGNMENT_STRATEGY_STICKY -> "STICKY";
      default -> "RANGE";
    };
    return new io.sluice.client.ConsumerGroupDescription(d.getGroupId(), groupState(d.getState()), d.getGeneration(),
        strategy, members, offsets);
  }
}
