package io.sluice.client.internal;

import io.sluice.api.v1.GroupOffsetCommit;
import java.util.List;

/**
 * The batches of one {@code Producer.sendAtomically} call: one per partition, always sent
 * together in one ProduceRequest of their own (with the group's offsets when given), retried
 * together, and finished together. The server applies a request as one Raft entry, so all of
 * them (and the offsets) become visible at once or none does.
 *
 * <p>Immutable after construction; its batches are guarded by the {@link RecordAccumulator}'s lock.
 *
 * @param batches     the members, in the order of the partitions' first appearance in the call
 * @param groupCommit the consumer group's offsets to commit with them, or null
 */
record AtomicWrite(List<ProducerBatch> batches, GroupOffsetCommit groupCommit) {
  AtomicWrite {
    batches = List.copyOf(batches);
  }
}
