package io.sluice.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Sends records to a topic's partitions, batching them per partition and sending the batches of
 * many partitions to the leader in one request. Get one from {@link SluiceClient#newProducer}.
 *
 * <p>Thread-safe: many threads may call {@link #send} and {@link #sendAtomically} at once.
 * Per-partition order is kept for records that succeed: up to
 * {@link ProducerConfig#maxInFlightBatches()} batches per partition are in flight (one without
 * idempotence), and a retried batch goes before any later batch of its partition.
 *
 * <h2>Idempotence (the default, {@link ProducerConfig.Builder#idempotence(boolean)})</h2>
 *
 * <p>The producer takes a producer id from the cluster before its first send and numbers the
 * records of each partition; the leader stores a numbered batch at most once and answers a
 * repeat with the offsets of the first copy. So every failure is retried within the delivery
 * timeout, with exponential backoff, unless it is known to be final (an unknown topic or
 * partition, a record too large, a full disk, ...): failures known NOT_WRITTEN (NOT_LEADER,
 * NO_LEADER, NODE_NOT_READY, TOO_MANY_REQUESTS, node unreachable before the request was sent) and
 * failures whose outcome is unknown (COMMIT_TIMEOUT, connection lost mid-call, deadline
 * exceeded) alike. A retry re-sends the same bytes.
 *
 * <p>What it guarantees: a record whose future succeeds is stored exactly once, at the offset
 * in its {@link RecordMetadata}, after every earlier successful record this producer sent to
 * the same partition. Retries by the producer never store a record twice.
 *
 * <p>What it does not guarantee:
 * <ul>
 *   <li>That nothing ends indeterminate. A future still fails with {@link IndeterminateException}
 *       when its batch's outcome is unknown and cannot be settled: the delivery timeout expires
 *       (for example while no leader can commit), {@link #close(Duration)} gives up on it, or
 *       after an attempt with an unknown outcome the leader refuses the producer id (it expired
 *       after {@code producer.idle.expiry.ms} without writes, default 24 h) or the batch for
 *       another reason (the topic was deleted, ...). Re-sending such a batch under a new producer
 *       id could store it twice, so the producer does not. After such a failure the producer
 *       continues under a new producer id, and if that earlier attempt lands late it can appear
 *       after records sent later to the same partition.</li>
 *   <li>Anything across producers or restarts: the guarantee is for one producer object. A
 *       record the application sends again (after an IndeterminateException, or from a new
 *       producer after a restart) is a new record and may be stored twice.</li>
 *   <li>Order around failures: a record that fails is simply absent (offsets stay dense) and
 *       the records sent after it still go; the order guarantee is among successful records.</li>
 * </ul>
 *
 * <p>When a producer id expires while idle, the producer takes a new one on its next send and
 * re-sends the batches that were certainly not written (every partition restarts at sequence 0).
 * Each producer id costs the cluster one Raft entry; an id obtained by a retried InitProducer
 * whose first answer was lost is never used and expires.
 *
 * <h2>Without idempotence</h2>
 *
 * <p>A send is retried only when the failure is known NOT_WRITTEN, with exponential backoff,
 * within the delivery timeout. A failure whose outcome is unknown fails the future with
 * {@link IndeterminateException}: the record may have been written. One exception to the order
 * guarantee: after an indeterminate failure caused by the client's deadline, the server may still
 * append that batch after a later batch of the same partition.
 */
public interface Producer extends AutoCloseable {

  /**
   * Queues a record for sending. Blocks only while the topic's partition count is being looked
   * up (once per topic) or the buffer is full, each at most {@link ProducerConfig#maxBlock()}.
   * Never throws for a bad record: the future fails instead, with {@link InvalidRequestException}
   * (bad topic name or partition), {@link UnknownTopicException}, {@link BufferExhaustedException},
   * {@link IndeterminateException}, or another {@link SluiceException}; it completes within
   * {@link ProducerConfig#deliveryTimeout()} of this call.
   *
   * @param record the record
   * @return the record's metadata (partition, offset) once acknowledged
   * @throws IllegalStateException when the producer is closed
   * @throws NullPointerException  when {@code record} is null
   */
  CompletableFuture<RecordMetadata> send(ProducerRecord record);

  /**
   * Writes {@code records}, which may name several topics and partitions, as one atomic write:
   * all of them become visible to consumers at once, or none does. They travel in one
   * ProduceRequest of their own (the records of one partition in one batch, in list order), which
   * the cluster appends as one Raft entry; a reader on any node sees either none of them or all.
   *
   * <p>Order: the write goes after every record sent earlier by this producer to the same
   * partitions (their open batches are closed first) and before every later one. With idempotence
   * the batches carry the same per-partition sequences as ordinary sends, so the write is
   * retried as a unit on failures whose outcome is unknown and is still stored at most once.
   *
   * <p>The returned future completes, within {@link ProducerConfig#deliveryTimeout()}, with each
   * record's metadata in the order of {@code records}, or fails for all of them with one
   * {@link SluiceException}; nothing of a write that fails with a NOT_WRITTEN error is visible.
   * Limits: at least one record; the whole write must fit in one request (about 4 MiB of encoded
   * batches, else {@link InvalidRequestException} RECORD_TOO_LARGE at once), and each partition's
   * batch within the cluster's {@code batch.bytes.max} (1 MiB by default; the cluster answers
   * RECORD_TOO_LARGE). Invalid records (bad topic or partition) fail the whole write.
   *
   * @param records the records, in the order their metadata is returned; not empty
   * @throws IllegalStateException    when the producer is closed
   * @throws NullPointerException     when {@code records} or one of them is null
   * @throws IllegalArgumentException when {@code records} is empty
   * @return each record's metadata, in the order of {@code records}, once the write is acknowledged
   */
  default CompletableFuture<List<RecordMetadata>> sendAtomically(List<ProducerRecord> records) {
    return sendAtomically(records, Map.of(), null);
  }

  /**
   * {@link #sendAtomically(List)}, also committing a consumer group's offsets in the same atomic
   * write: the exactly-once step of consume-transform-produce. The output records and the input
   * offsets become visible together or not at all.
   *
   * <p>The cluster fences the write by {@code group}: if the member is no longer in the group or
   * a rebalance moved the group to a newer generation, nothing is written, neither the records
   * nor the offsets, and the future fails with {@link CommitFailedException} (reason
   * ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID). The member must then rejoin and re-process from the
   * group's committed offsets. If an earlier attempt of the same write had an unknown outcome,
   * the failure is an {@link IndeterminateException} instead (that attempt may have been
   * committed before the rebalance).
   *
   * @param records the records; not empty
   * @param offsets per input partition, the offset of the next record to consume (last processed
   *                + 1), not negative; may be empty (the write is then fenced by {@code group} only)
   * @param group   the committing member, from the group consumer; null only when {@code offsets}
   *                is empty
   *
   * @return each record's metadata, in the order of {@code records}, once the write is acknowledged
   */
  CompletableFuture<List<RecordMetadata>> sendAtomically(List<ProducerRecord> records,
      Map<TopicPartition, Long> offsets, ConsumerGroupMetadata group);

  /**
   * Sends every queued record at once (ignoring linger) and waits until every send that
   * returned before this call has completed, successfully or not. Bounded by the delivery
   * timeout. If the calling thread is interrupted, returns early with its interrupt flag set.
   */
  void flush();

  /**
   * Stops accepting records, flushes within {@code timeout}, then fails what is left: records
   * never sent with {@link TimeoutException} (NOT_WRITTEN), records in flight with
   * {@link IndeterminateException}. Idempotent.
   *
   * @param timeout longest to wait for records in flight; zero or more
   */
  void close(Duration timeout);

  /** {@link #close(Duration)} with 30 seconds. */
  @Override
  default void close() {
    close(Duration.ofSeconds(30));
  }
}
