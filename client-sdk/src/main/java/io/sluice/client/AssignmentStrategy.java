package io.sluice.client;

/**
 * How a consumer group spreads partitions over its members (computed by the cluster; every member
 * of a group must use the same one).
 */
public enum AssignmentStrategy {
  /** Per topic, contiguous ranges of partitions to members sorted by id (Kafka's range). */
  RANGE,
  /** All partitions dealt to the members in turn (Kafka's round-robin). */
  ROUND_ROBIN,
  /**
   * Balanced, and a rebalance leaves each partition with its previous owner whenever balance allows,
   * so as few partitions as possible move.
   */
  STICKY
}
