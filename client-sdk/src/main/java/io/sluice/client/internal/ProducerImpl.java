package io.sluice.client.internal;

import io.sluice.client.Admin;
import io.sluice.client.BufferExhaustedException;
import io.sluice.client.IndeterminateException;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TimeoutException;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.Header;
import io.sluice.protocol.TopicNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Producer}: checks and queues records in the {@link RecordAccumulator}; a {@link Sender}
 * thread sends them. Thread-safe; see {@link Producer} for the guarantees.
 */
public final class ProducerImpl implements Producer {
  /** Bytes charged per record on top of key, value and headers (varints, record overhead). */
  private static final int RECORD_OVERHEAD_BYTES = 64;
  private static final AtomicInteger IDS = new AtomicInteger();

  private final ProducerConfig config;
  private final BufferMemory memory;
  private final PartitionCounts partitionCounts;
  private final RecordAccumulator accumulator;
  private final Sender sender;
  private final Thread senderThread;
  private final Runnable onClosed;
  private final Object closeLock = new Object();
  private volatile boolean closed;
  private boolean closeDone; // guarded by closeLock

  /** @param onClosed run once when close() finishes (the client forgets the producer) */
  public ProducerImpl(ClientContext ctx, Admin admin, ProducerConfig config, Runnable onClosed) {
    this.config = config;
    this.onClosed = onClosed;
    this.memory = new BufferMemory(config.bufferBytesMax());
    this.partitionCounts = new PartitionCounts(admin);
    this.accumulator = new RecordAccumulator(new Partitioner(config.partitioner()), config.batchSizeBytesMax(),
        config.linger().toNanos(), config.idempotence());
    this.sender = new Sender(ctx, accumulator, memory, partitionCounts, config.maxInFlightRequests(),
        config.retryBackoff(), config.deliveryTimeout(), config.idempotence());
    this.senderThread = new Thread(sender, "sluice-producer-sender-" + IDS.incrementAndGet());
    senderThread.setDaemon(true);
    senderThread.start();
  }

  @Override
  public CompletableFuture<RecordMetadata> send(ProducerRecord record) {
    Objects.requireNonNull(record, "record");
    if (closed) {
      throw new IllegalStateException("the producer is closed");
    }
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + config.deliveryTimeout().toNanos();
    long blockDeadlineNanos = startNanos + Math.min(config.maxBlock().toNanos(), config.deliveryTimeout().toNanos());
    String topic = record.topic();
    String problem = TopicNames.problem(topic);
    if (problem != null) {
      return Futures.failed(invalid(problem, "INVALID_TOPIC_NAME"));
    }
    Integer partition = record.partition();
    if (partition != null && partition < 0) {
      return Futures.failed(invalid("partition " + partition + " is negative", "UNKNOWN_PARTITION"));
    }
    int count;
    try {
      count = partitionCounts.get(topic, blockDeadlineNanos - System.nanoTime());
    } catch (SluiceException e) {
      return Futures.failed(e);
    }
    if (partition != null && partition >= count) {
      return Futures.failed(invalid("partition " + partition + " is outside [0, " + count + ") of topic " + topic,
          "UNKNOWN_PARTITION"));
    }
    long size = estimatedBytes(record);
    if (size > config.bufferBytesMax()) {
      return Futures.failed(invalid("record of about " + size + " bytes is larger than bufferBytesMax "
          + config.bufferBytesMax(), "RECORD_TOO_LARGE"));
    }
    try {
      if (!memory.reserve(size, blockDeadlineNanos - System.nanoTime())) {
        return Futures.failed(new BufferExhaustedException("no room for " + size + " bytes in the producer buffer ("
            + config.bufferBytesMax() + " bytes) within maxBlock " + config.maxBlock()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Futures.failed(new BufferExhaustedException("interrupted while waiting for buffer space"));
    }
    long timestampMs = record.timestampMs() != null ? record.timestampMs() : System.currentTimeMillis();
    CompletableFuture<RecordMetadata> f = accumulator.append(topic, partition, count, record.key(), record.value(),
        timestampMs, record.headers(), size, deadlineNanos);
    if (f == null) {
      memory.release(size);
      throw new IllegalStateException("the producer is closed");
    }
    return f;
  }

  private static InvalidRequestException invalid(String message, String reason) {
    return new InvalidRequestException(message, null, reason, WriteOutcome.NOT_WRITTEN, null);
  }

  static long estimatedBytes(ProducerRecord r) {
    long size = RECORD_OVERHEAD_BYTES + length(r.key()) + length(r.value());
    for (Header h : r.headers()) {
      size += 10 + h.key().getBytes(StandardCharsets.UTF_8).length + length(h.value());
    }
    return size;
  }

  private static int length(byte[] b) {
    return b == null ? 0 : b.length;
  }

  @Override
  public void flush() {
    accumulator.beginFlush();
    try {
      for (CompletableFuture<Void> done : accumulator.incompleteBatches()) {
        done.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("batch completion never fails", e);
    } finally {
      accumulator.endFlush();
    }
  }

  @Override
  public void close(Duration timeout) {
    synchronized (closeLock) {
      if (closeDone) {
        return;
      }
      closed = true;
      accumulator.beginClose();
      awaitAll(timeout);
      List<ProducerBatch> queued = new ArrayList<>();
      List<ProducerBatch> inFlight = new ArrayList<>();
      accumulator.abortAll(queued, inFlight);
      for (ProducerBatch b : queued) {
        memory.release(b.reservedBytes);
        b.fail(b.maybeWritten
            ? new IndeterminateException("the producer was closed while " + b.tp + " waited to be re-sent after an "
                + "attempt whose outcome is unknown", null, null, b.lastError)
            : new TimeoutException("the producer was closed before " + b.tp + " was sent", null,
                WriteOutcome.NOT_WRITTEN, b.lastError));
      }
      for (ProducerBatch b : inFlight) {
        memory.release(b.reservedBytes);
        b.fail(new IndeterminateException("the producer was closed while the request for " + b.tp
            + " was in flight", null, null, null));
      }
      sender.stop();
      try {
        senderThread.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      closeDone = true;
    }
    onClosed.run();
  }

  private void awaitAll(Duration timeout) {
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    try {
      for (CompletableFuture<Void> done : accumulator.incompleteBatches()) {
        done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (java.util.concurrent.TimeoutException e) {
      // what is left is failed by the caller
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("batch completion never fails", e);
    }
  }
}
