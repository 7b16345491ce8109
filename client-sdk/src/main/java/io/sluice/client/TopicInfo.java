package io.sluice.client;

import java.util.List;

/**
 * A topic as described by a node. Immutable.
 *
 * @param name          topic name
 * @param topicId       identifier assigned at creation; a re-created topic gets a new one
 * @param createdTimeMs creation time, epoch milliseconds (leader-stamped)
 * @param partitions    partitions, by index
 * @param configs       effective configuration, every key with its value (defaults included),
 *                      e.g. {@code retention.ms}, {@code retention.bytes}
 */
public record TopicInfo(String name, long topicId, long createdTimeMs, List<PartitionInfo> partitions,
    java.util.Map<String, String> configs) {
  /**
   * Copies {@code partitions}; {@code name} and {@code partitions} must not be null.
   *
   * @param name          topic name
   * @param topicId       identifier assigned at creation; a re-created topic gets a new one
   * @param createdTimeMs creation time, epoch milliseconds (leader-stamped)
   * @param partitions    partitions, by index
   * @param configs       effective configuration, every key with its value (defaults included), e.g. {@code retention.ms}, {@code retention.bytes}
   */
  public TopicInfo {
    partitions = List.copyOf(partitions);
    configs = java.util.Map.copyOf(configs);
  }
}
