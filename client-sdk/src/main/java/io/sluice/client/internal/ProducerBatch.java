package io.sluice.client.internal;

import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.protocol.Header;
import io.sluice.protocol.RecordBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The records of one partition that travel together: built with {@link RecordBatch.Builder},
 * encoded once when first sent, re-sent as the same bytes on retry.
 *
 * <p>Not thread-safe: its mutable fields are guarded by the {@link RecordAccumulator}'s lock;
 * {@link #succeed} and {@link #fail} run outside it, once, after the accumulator has marked the
 * batch done.
 */
final class ProducerBatch {
  final TopicPartition tp;
  final long createdNanos;
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
  /** The last retriable failure, reported as the cause if the delivery timeout expires. */
  SluiceException lastError;
  /** Futures completed or about to be; set once under the accumulator lock. */
  boolean finished;
  private byte[] encoded;

  ProducerBatch(TopicPartition tp, long createdNanos) {
    this.tp = tp;
    this.createdNanos = createdNanos;
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

  /** Exact encoded size: of the bytes once encoded, of the records so far before that. */
  int sizeBytes() {
    return encoded != null ? encoded.length : builder.estimatedSizeBytes();
  }

  /** The batch bytes, encoded on the first call (which also closes the batch). */
  byte[] encoded() {
    if (encoded == null) {
      closed = true;
      encoded = builder.build();
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
