package io.sluice.statemachine;

/**
 * Size and count limits enforced before a command enters the Raft log.
 *
 * @param recordBytesMax   largest encoded record, bytes
 * @param batchBytesMax    largest record batch, bytes
 * @param requestBytesMax  largest command of one produce request (all its batches), bytes
 * @param partitionsMax    most partitions one topic may have
 * @param groupBytesMax    largest group-commit entry (several produce requests merged), bytes
 */
public record Limits(int recordBytesMax, int batchBytesMax, int requestBytesMax, int partitionsMax,
    int groupBytesMax) {
  public static final Limits DEFAULT = new Limits(1 << 20, 1 << 20, 8 << 20, 1000);

  /** Limits whose group-commit entries may be as large as one request. */
  public Limits(int recordBytesMax, int batchBytesMax, int requestBytesMax, int partitionsMax) {
    this(recordBytesMax, batchBytesMax, requestBytesMax, partitionsMax, requestBytesMax);
  }
}
