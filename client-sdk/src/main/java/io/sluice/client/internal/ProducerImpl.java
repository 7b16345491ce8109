package io.sluice.client.internal;

import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.client.Admin;
import io.sluice.client.ConsumerGroupMetadata;
import io.sluice.client.TopicPartition;
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
import java.util.Map;
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
        config.linger().toNanos(), config.idempotence(), config.maxInFlightBatches(),
        config.compression());
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
    Integer partition = record.partition();
    int count;
    try {
      count = check(record, blockDeadlineNanos);
    } catch (SluiceException e) {
      return Futures.failed(e);
    }
    long size = estimatedBytes(record);
    if (size > config.bufferBytesMax()) {
      return Futures.failed(invalid("record of about " + size + " bytes is larger than bufferBytesMax "
          + config.bufferBytesMax(), "RECORD_TOO_LARGE"));
    }
    SluiceException noRoom = reserve(size, blockDeadlineNanos);
    if (noRoom != null) {
      return Futures.failed(noRoom);
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

  @Override
  public CompletableFuture<List<RecordMetadata>> sendAtomically(List<ProducerRecord> records,
      Map<TopicPartition, Long> offsets, ConsumerGroupMetadata group) {
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(offsets, "offsets");
    if (records.isEmpty()) {
      throw new IllegalArgumentException("an atomic write needs at least one record (commit offsets alone with "
          + "the group consumer)");
    }
    records.forEach(r -> Objects.requireNonNull(r, "a record is null"));
    if (closed) {
      throw new IllegalStateException("the producer is closed");
    }
    GroupOffsetCommit commit;
    try {
      commit = groupCommit(offsets, group);
    } catch (InvalidRequestException e) {
      return Futures.failed(e);
    }
    long startNanos = System.nanoTime();
    long deadlineNanos = startNanos + config.deliveryTimeout().toNanos();
    long blockDeadlineNanos = startNanos + Math.min(config.maxBlock().toNanos(), config.deliveryTimeout().toNanos());
    List<RecordAccumulator.PendingRecord> pending = new ArrayList<>(records.size());
    long total = 0;
    for (int i = 0; i < records.size(); i++) {
      ProducerRecord r = records.get(i);
      int count;
      try {
        count = check(r, blockDeadlineNanos);
      } catch (SluiceException e) {
        return Futures.failed(e instanceof InvalidRequestException
            ? invalid("record " + i + " of the atomic write: " + e.getMessage(), e.reason()) : e);
      }
      long size = estimatedBytes(r);
      total += size;
      long timestampMs = r.timestampMs() != null ? r.timestampMs() : System.currentTimeMillis();
      pending.add(new RecordAccumulator.PendingRecord(r.topic(), r.partition(), count, timestampMs, r.key(),
          r.value(), r.headers(), size));
    }
    if (total > config.bufferBytesMax()) {
      return Futures.failed(invalid("the atomic write of about " + total + " bytes is larger than bufferBytesMax "
          + config.bufferBytesMax(), "RECORD_TOO_LARGE"));
    }
    SluiceException noRoom = reserve(total, blockDeadlineNanos);
    if (noRoom != null) {
      return Futures.failed(noRoom);
    }
    AtomicWrite atomic;
    try {
      atomic = accumulator.appendAtomic(pending, commit, deadlineNanos);
    } catch (InvalidRequestException e) {
      memory.release(total);
      return Futures.failed(e);
    }
    if (atomic == null) {
      memory.release(total);
      throw new IllegalStateException("the producer is closed");
    }
    return allInOrder(pending);
  }

  /** The group's offsets as the request carries them; null when there is neither a group nor offsets. */
  private static GroupOffsetCommit groupCommit(Map<TopicPartition, Long> offsets, ConsumerGroupMetadata group) {
    if (group == null) {
      if (!offsets.isEmpty()) {
        throw invalid("offsets to commit need the committing member's ConsumerGroupMetadata", "INVALID_REQUEST");
      }
      return null;
    }
    GroupOffsetCommit.Builder commit = GroupOffsetCommit.newBuilder().setGroupId(group.groupId())
        .setMemberId(group.memberId()).setGeneration(group.generation());
    for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
      Long offset = Objects.requireNonNull(e.getValue(), "offset of " + e.getKey());
      if (offset < 0) {
        throw invalid("offset " + offset + " to commit for " + e.getKey() + " is negative", "INVALID_OFFSET");
      }
      commit.addOffsets(CommittedOffset.newBuilder().setTopic(e.getKey().topic())
          .setPartition(e.getKey().partition()).setOffset(offset));
    }
    return commit.build();
  }

  /** One future for the records' futures, in their order; fails with the first failure, unwrapped. */
  private static CompletableFuture<List<RecordMetadata>> allInOrder(List<RecordAccumulator.PendingRecord> pending) {
    CompletableFuture<?>[] each = pending.stream().map(p -> p.future).toArray(CompletableFuture[]::new);
    return Futures.map(CompletableFuture.allOf(each), ignored -> {
      List<RecordMetadata> out = new ArrayList<>(pending.size());
      for (RecordAccumulator.PendingRecord p : pending) {
        out.add(p.future.join());
      }
      return out;
    });
  }

  /**
   * Checks a record's topic and partition (looking up the topic's partition count, blocking up to
   * the deadline) and returns the partition count.
   *
   * @throws SluiceException what is wrong with it
   */
  private int check(ProducerRecord record, long blockDeadlineNanos) {
    String problem = TopicNames.problem(record.topic());
    if (problem != null) {
      throw invalid(problem, "INVALID_TOPIC_NAME");
    }
    Integer partition = record.partition();
    if (partition != null && partition < 0) {
      throw invalid("partition " + partition + " is negative", "UNKNOWN_PARTITION");
    }
    int count = partitionCounts.get(record.topic(), blockDeadlineNanos - System.nanoTime());
    if (partition != null && partition >= count) {
      throw invalid("partition " + partition + " is outside [0, " + count + ") of topic " + record.topic(),
          "UNKNOWN_PARTITION");
    }
    return count;
  }

  /** Reserves buffer space; null when done, else the error to fail with. */
  private SluiceException reserve(long size, long blockDeadlineNanos) {
    try {
      if (!memory.reserve(size, blockDeadlineNanos - System.nanoTime())) {
        return new BufferExhaustedException("no room for " + size + " bytes in the producer buffer ("
            + config.bufferBytesMax() + " bytes) within maxBlock " + config.maxBlock());
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new BufferExhaustedException("interrupted while waiting for buffer space");
    }
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
