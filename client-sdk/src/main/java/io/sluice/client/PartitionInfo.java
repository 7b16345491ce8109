package io.sluice.client;

/**
 * One partition's offsets as a node sees them. Immutable.
 *
 * @param partition      partition index
 * @param logStartOffset first offset still stored
 * @param endOffset      offset the next appended record will get
 * @param batchCount     number of stored batches
 * @param sizeBytes      bytes of stored batches
 */
public record PartitionInfo(int partition, long logStartOffset, long endOffset, long batchCount, long sizeBytes) {}
