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
}
