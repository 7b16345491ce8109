package io.sluice.client;

/** How a producer picks the partition of a record that names none. Immutable (an enum). */
public enum PartitionerKind {
  /**
   * Kafka-compatible: a keyed record goes to {@code toPositive(murmur2(key)) % partitions}; a
   * record with a null key goes to the topic's sticky partition, which changes each time a batch
   * for it is closed (full or sent).
   */
  DEFAULT,
  /** Every record, keyed or not, goes to the next partition of its topic in turn. */
  ROUND_ROBIN
}
