package io.sluice.client;

import java.util.Collection;

/**
 * Callbacks of a group consumer's rebalances, run on the thread calling {@link Consumer#poll}
 * (inside it), so they may use the consumer.
 *
 * <p>Order in a rebalance: {@link #onPartitionsRevoked} with every partition the consumer owned
 * (after the auto-commit of their positions, when enabled, and while the old generation is still
 * valid, so a {@link Consumer#commitSync()} made here is accepted), then, once the group has its new
 * generation, {@link #onPartitionsAssigned} with the new partitions (positions already set to the
 * committed offsets). When the consumer lost its membership (expired), the revoke comes after the
 * fact and commits made in it fail with {@link CommitFailedException}.
 */
public interface ConsumerRebalanceListener {
  /**
   * The consumer no longer owns {@code partitions}; commit what was processed of them now.
   *
   * @param partitions every partition the consumer owned before the rebalance (may be empty)
   */
  void onPartitionsRevoked(Collection<TopicPartition> partitions);

  /**
   * The consumer now owns {@code partitions} in the group's new generation.
   *
   * @param partitions every partition assigned to it in the new generation (may be empty), each
   *     positioned at the group's committed offset or, without one, by the offset reset policy
   */
  void onPartitionsAssigned(Collection<TopicPartition> partitions);

  /** A listener that does nothing. */
  ConsumerRebalanceListener NONE = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
  };
}
