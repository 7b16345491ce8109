package io.sluice.client;

import java.util.List;

/**
 * A topic as described by a node. Immutable.
 *
 * @param name          topic name
 * @param topicId       identifier assigned at creation; a re-created topic gets a new one
 * @param createdTimeMs creation time, epoch milliseconds (leader-stamped)
 * @param partitions    partitions, by index
 */
public record TopicInfo(String name, long topicId, long createdTimeMs, List<PartitionInfo> partitions) {
  public TopicInfo {
    partitions = List.copyOf(partitions);
  }
}
