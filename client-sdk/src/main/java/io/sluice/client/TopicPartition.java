package io.sluice.client;

import java.util.Objects;

/**
 * A topic name and a 0-based partition index. Immutable.
 *
 * @param topic     topic name, not null
 * @param partition partition index
 */
public record TopicPartition(String topic, int partition) {
  /**
   * Checks that {@code topic} is not null.
   *
   * @param topic     topic name, not null
   * @param partition partition index
   */
  public TopicPartition {
    Objects.requireNonNull(topic, "topic");
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
