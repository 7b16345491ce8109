package io.sluice.client;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Sends records to a topic's partitions, batching them per partition and sending the batches of
 * many partitions to the leader in one request. Get one from {@link SluiceClient#newProducer}.
 *
 * <p>Thread-safe: many threads may call {@link #send} at once. Per-partition order is kept for
 * records that succeed: at most one batch per partition is in flight, and a retried batch goes
 * before any later batch of its partition.
 *
 * <p>Failures: a send is retried only when the failure is known NOT_WRITTEN (NOT_LEADER,
 * NO_LEADER, NODE_NOT_READY, TOO_MANY_REQUESTS, node unreachable before the request was sent),
 * with exponential backoff, within the delivery timeout. An indeterminate failure
 * (COMMIT_TIMEOUT, connection lost mid-call, deadline exceeded) fails the future with
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
   * @throws IllegalStateException when the producer is closed
   * @throws NullPointerException  when {@code record} is null
   */
  CompletableFuture<RecordMetadata> send(ProducerRecord record);

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
   */
  void close(Duration timeout);

  /** {@link #close(Duration)} with 30 seconds. */
  @Override
  default void close() {
    close(Duration.ofSeconds(30));
  }
}
