package io.sluice.client.internal;

import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.protocol.CompressionType;
import io.sluice.protocol.Header;
import io.sluice.protocol.RecordBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The records of one partition that travel together: built with {@link RecordBatch.Builder},
 * sealed (encoded, with its producer id and base sequence when idempotent) when it is first
 * sent, and re-sent as the same bytes on retry. Only a rejection of its producer id or sequence
 * (nothing written) unseals it, to be sealed again under a new producer id.
 *
 * <p>Not thread-safe: its mutable fields are guarded by the {@link RecordAccumulator}'s lock;
 * {@link #succeed} and {@link #fail} run outside it, once, after the accumulator has marked the
 * batch done.
 */
final class ProducerBatch {
  final TopicPartition tp;
  final long createdNanos;
  /**
   * Creation order within the producer: a partition's batches are sent, and re-queued after a
   * failed attempt, in this order, which is also the order of their sequences.
   */
  final long order;
  /** Sent since it was last sealed: counted in its partition's window of unsettled batches. */
  boolean inWindow;
  /** The atomic write this batch belongs to, or null for an ordinary batch. */
  AtomicWrite atomic;
  private final RecordBatch.Builder builder = RecordBatch.builder();
  private final List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
  /** Completes (normally) when every record's future has completed; for flush and close. */
  final CompletableFuture<Void> done = new CompletableFuture<>();

  /** Earliest delivery deadline of its records (System.nanoTime based; compare by difference). */
  long deadlineNanos;
  long reservedBytes;
  /** Accepts no more records (full, or drained for sending). */
  boolean closed;
  int attempts;
  /** Not to be sent before this (System.nanoTime based); starts at creation: no wait. */
  long retryAtNanos;
  /** Send in a request of its own: a shared request was rejected and the culprit is unknown. */
  boolean sendAlone;
  /** Why the batch could not be encoded (then it failed, never sent), or null. */
  Throwable encodeError;
  /** The last retriable failure, reported as the cause if the delivery timeout expires. */
  SluiceException lastError;
  /** Futures completed or about to be; set once under the accumulator lock. */
  boolean finished;
  /**
   * Some attempt ended without a definite answer (it may have been written). Then the batch can
   * only succeed, or fail with IndeterminateException.
   */
  boolean maybeWritten;
  /** The producer id and epoch it is sealed with; null while unsealed or without idempotence. */
  ProducerIdentity producer;
  /** Sequence of its first record under {@link #producer}; -1 when none. */
  int baseSequence = -1;
  private byte[] encoded;

  ProducerBatch(TopicPartition tp, long createdNanos, long order, CompressionType compression) {
    builder.compression(compression);
    this.tp = tp;
    this.createdNanos = createdNanos;
    this.order = order;
    this.retryAtNanos = createdNanos;
  }

  /** Whether the next record fits without taking a non-empty batch over {@code sizeBytesMax}. */
  boolean fits(long timestampMs, byte[] key, byte[] value, List<Header> headers, int sizeBytesMax) {
    return !closed && (builder.recordCount() == 0
        || (long) builder.estimatedSizeBytes() + builder.sizeOfNext(timestampMs, key, value, headers) <= sizeBytesMax);
  }

  CompletableFuture<RecordMetadata> add(long timestampMs, byte[] key, byte[] value, List<Header> headers,
      long reserved, long deadline) {
    builder.add(timestampMs, key, value, headers);
    CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
    futures.add(f);
    reservedBytes += reserved;
    if (futures.size() == 1 || deadline - deadlineNanos < 0) {
      deadlineNanos = deadline;
    }
    return f;
  }

  int recordCount() {
    return builder.recordCount();
  }

  /**
   * Encoded size: exact once encoded; before that, of the records so far uncompressed (exact
   * without compression, an upper bound with it).
   */
  int sizeBytes() {
    return encoded != null ? encoded.length : builder.estimatedSizeBytes();
  }

  boolean sealed() {
    return encoded != null;
  }

  /**
   * Closes the batch and encodes it, stamped with {@code producer} and {@code baseSequence}
   * (both ignored when {@code producer} is null: a non-idempotent batch).
   */
  void seal(ProducerIdentity producer, int baseSequence) {
    if (encoded != null) {
      throw new IllegalStateException("batch for " + tp + " is already sealed");
    }
    closed = true;
    if (producer != null) {
      builder.producer(producer.producerId(), producer.epoch(), baseSequence);
      this.producer = producer;
      this.baseSequence = baseSequence;
    }
    encoded = builder.build();
  }

  /** Forgets the encoding: the producer id it carried was refused and nothing was written. */
  void unseal() {
    encoded = null;
    producer = null;
    baseSequence = -1;
  }

  /** The sealed batch bytes, the same on every attempt. */
  byte[] encoded() {
    if (encoded == null) {
      throw new IllegalStateException("batch for " + tp + " is not sealed");
    }
    return encoded;
  }

  void succeed(long baseOffset, long logAppendTimeMs) {
    for (int i = 0; i < futures.size(); i++) {
      futures.get(i).complete(new RecordMetadata(tp.topic(), tp.partition(), baseOffset + i, logAppendTimeMs));
    }
    done.complete(null);
  }

  void fail(SluiceException e) {
    for (CompletableFuture<RecordMetadata> f : futures) {
      f.completeExceptionally(e);
    }
    done.complete(null);
  }
}
