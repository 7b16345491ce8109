package io.sluice.client;

/**
 * Where a sent record was written. Immutable.
 *
 * @param topic           topic name
 * @param partition       partition index
 * @param offset          offset the log assigned to the record
 * @param logAppendTimeMs the leader's wall-clock time stamped into the Raft entry, epoch ms
 */
public record RecordMetadata(String topic, int partition, long offset, long logAppendTimeMs) {}
