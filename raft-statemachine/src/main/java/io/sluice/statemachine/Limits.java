package io.sluice.statemachine;

/**
 * Size and count limits enforced before a command enters the Raft log.
 *
 * @param recordBytesMax   largest encoded record, bytes
 * @param batchBytesMax    largest record batch, bytes
 * @param requestBytesMax  largest command (all batches of one produce request), bytes
 * @param partitionsMax    most partitions one topic may have
 */
public record Limits(int recordBytesMax, int batchBytesMax, int requestBytesMax, int partitionsMax) {
  public static final Limits DEFAULT = new Limits(1 << 20, 1 << 20, 8 << 20, 1000);
}
