package io.sluice.client.internal;

import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.protocol.Header;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The producer's queues: per partition, a deque of batches (the last one open for appends), plus
 * which partitions have a batch in flight. The sender drains ready batches from it; responses
 * put batches back (retry) or mark them done.
 *
 * <p>Ordering: at most one batch per partition is in flight; a retried batch goes back to the
 * front of its deque, so it is sent before any later batch of its partition.
 *
 * <p>Thread-safe: one lock guards everything here and in the batches; futures are completed by
 * callers after the lock is released.
 */
final class RecordAccumulator {
  /**
   * Most batch bytes in one ProduceRequest (one request may still carry a single larger batch):
   * gRPC's default 4 MiB message limit, less room for the request's own fields.
   */
  static final int REQUEST_BYTES_MAX = 4 * 1024 * 1024 - 64 * 1024;
  private static final long WAIT_NANOS_MAX = TimeUnit.SECONDS.toNanos(1);

  /**
   * What the sender should do now.
   *
   * @param toSend    batches for one request, already marked in flight
   * @param expired   batches past their delivery deadline, already marked finished
   * @param waitNanos how long the sender may sleep if it sends nothing
   * @param hasQueued whether batches remain queued (waiting for linger, retry, leader, a slot)
   */
  record Drain(List<ProducerBatch> toSend, List<ProducerBatch> expired, long waitNanos, boolean hasQueued) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Map<TopicPartition, ArrayDeque<ProducerBatch>> queues = new LinkedHashMap<>();
  private final Map<TopicPartition, ProducerBatch> inFlight = new HashMap<>();
  private final Set<ProducerBatch> incomplete = new LinkedHashSet<>();
  private final Partitioner partitioner;
  private final int batchSizeBytesMax;
  private final long lingerNanos;
  private boolean signaled;
  private int flushes;
  private boolean closing;

  RecordAccumulator(Partitioner partitioner, int batchSizeBytesMax, long lingerNanos) {
    this.partitioner = partitioner;
    this.batchSizeBytesMax = batchSizeBytesMax;
    this.lingerNanos = lingerNanos;
  }

  /**
   * Appends a record to its partition's open batch (opening one if needed).
   *
   * @param partition the record's partition, or null for the partitioner's choice
   * @return the record's future, or null when the producer is closing
   */
  CompletableFuture<RecordMetadata> append(String topic, Integer partition, int partitionCount, byte[] key,
      byte[] value, long timestampMs, List<Header> headers, long reservedBytes, long deadlineNanos) {
    lock.lock();
    try {
      if (closing) {
        return null;
      }
      boolean sticky = partition == null && partitioner.isSticky(key);
      int p = partition != null ? partition : partitioner.partition(topic, key, partitionCount);
      ProducerBatch open = openBatch(new TopicPartition(topic, p));
      if (sticky && open != null && !open.fits(timestampMs, key, value, headers, batchSizeBytesMax)) {
        close(open); // moves the sticky partition, as Kafka does when a sticky batch fills up
        p = partitioner.partition(topic, key, partitionCount);
        open = openBatch(new TopicPartition(topic, p));
      }
      TopicPartition tp = new TopicPartition(topic, p);
      if (open == null || !open.fits(timestampMs, key, value, headers, batchSizeBytesMax)) {
        if (open != null) {
          close(open);
        }
        open = new ProducerBatch(tp, System.nanoTime());
        queues.computeIfAbsent(tp, k -> new ArrayDeque<>()).addLast(open);
        incomplete.add(open);
        signal(); // the sender's next wake-up depends on this batch's linger
      }
      CompletableFuture<RecordMetadata> f = open.add(timestampMs, key, value, headers, reservedBytes, deadlineNanos);
      if (open.sizeBytes() >= batchSizeBytesMax) {
        close(open);
        signal();
      }
      return f;
    } finally {
      lock.unlock();
    }
  }

  private ProducerBatch openBatch(TopicPartition tp) {
    ArrayDeque<ProducerBatch> q = queues.get(tp);
    ProducerBatch last = q == null ? null : q.peekLast();
    return last == null || last.closed ? null : last;
  }

  private void close(ProducerBatch b) {
    if (!b.closed) {
      b.closed = true;
      partitioner.onBatchClosed(b.tp.topic(), b.tp.partition());
    }
  }

  /**
   * Removes expired queued batches and, when {@code canSend}, the ready batches for one request
   * (at most one per partition, none of a partition with a batch in flight).
   */
  Drain drain(boolean canSend) {
    lock.lock();
    try {
      signaled = false;
      long now = System.nanoTime();
      List<ProducerBatch> expired = new ArrayList<>();
      List<ProducerBatch> toSend = new ArrayList<>();
      long wait = WAIT_NANOS_MAX;
      long bytes = 0;
      Iterator<Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>>> it = queues.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<TopicPartition, ArrayDeque<ProducerBatch>> e = it.next();
        ArrayDeque<ProducerBatch> q = e.getValue();
        wait = Math.min(wait, expire(q, now, expired));
        if (q.isEmpty()) {
          it.remove();
          continue;
        }
        if (!canSend || inFlight.containsKey(e.getKey())) {
          continue;
        }
        ProducerBatch head = q.peekFirst();
        // nanoTime values are compared by difference only: they may be negative or wrap.
        long lingerAt = head.closed || flushes > 0 || closing ? now : head.createdNanos + lingerNanos;
        long readyAt = head.retryAtNanos - lingerAt > 0 ? head.retryAtNanos : lingerAt;
        if (readyAt - now > 0) {
          wait = Math.min(wait, readyAt - now);
          continue;
        }
        close(head); // ready: it takes no more records
        boolean alone = head.sendAlone || (!toSend.isEmpty() && toSend.get(0).sendAlone);
        if (!toSend.isEmpty() && (alone || bytes + head.encoded().length > REQUEST_BYTES_MAX)) {
          wait = 0; // ready, but for the next request
          continue;
        }
        q.pollFirst();
        bytes += head.encoded().length;
        toSend.add(head);
        inFlight.put(head.tp, head);
      }
      return new Drain(toSend, expired, Math.max(0, wait), !queues.isEmpty());
    } finally {
      lock.unlock();
    }
  }

  /** Moves expired batches of {@code q} to {@code out}; returns nanos until the next expiry. */
  private long expire(ArrayDeque<ProducerBatch> q, long now, List<ProducerBatch> out) {
    long next = Long.MAX_VALUE;
    Iterator<ProducerBatch> it = q.iterator();
    while (it.hasNext()) {
      ProducerBatch b = it.next();
      if (b.deadlineNanos - now <= 0) {
        it.remove();
        close(b);
        if (markFinished(b)) {
          out.add(b);
        }
      } else {
        next = Math.min(next, b.deadlineNanos - now);
      }
    }
    return next;
  }

  /** Puts an in-flight batch back at the front of its partition, to be sent at {@code retryAtNanos}. */
  void requeue(ProducerBatch b, long retryAtNanos, boolean sendAlone, SluiceException error) {
    lock.lock();
    try {
      inFlight.remove(b.tp, b);
      if (b.finished) {
        return; // failed by close() meanwhile
      }
      b.retryAtNanos = retryAtNanos;
      b.sendAlone = sendAlone;
      if (error != null) {
        b.lastError = error;
      }
      queues.computeIfAbsent(b.tp, k -> new ArrayDeque<>()).addFirst(b);
      signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Marks an in-flight batch answered.
   *
   * @return true when the caller must complete it (false if close() already did)
   */
  boolean complete(ProducerBatch b) {
    lock.lock();
    try {
      inFlight.remove(b.tp, b);
      signal();
      return markFinished(b);
    } finally {
      lock.unlock();
    }
  }

  private boolean markFinished(ProducerBatch b) {
    if (b.finished) {
      return false;
    }
    b.finished = true;
    incomplete.remove(b);
    return true;
  }

  /** Every batch not yet completed: queued, open or in flight. */
  List<CompletableFuture<Void>> incompleteBatches() {
    lock.lock();
    try {
      List<CompletableFuture<Void>> out = new ArrayList<>(incomplete.size());
      for (ProducerBatch b : incomplete) {
        out.add(b.done);
      }
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** While a flush is under way, every batch is ready at once (linger ignored). */
  void beginFlush() {
    lock.lock();
    try {
      flushes++;
      signal();
    } finally {
      lock.unlock();
    }
  }

  void endFlush() {
    lock.lock();
    try {
      flushes--;
    } finally {
      lock.unlock();
    }
  }

  /** Refuses further appends and makes every batch ready at once. */
  void beginClose() {
    lock.lock();
    try {
      closing = true;
      signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes every unfinished batch out, for close() to fail: {@code queued} were never sent (or
   * are waiting to be re-sent), {@code inFlight} may have been written.
   */
  void abortAll(List<ProducerBatch> queued, List<ProducerBatch> inFlightOut) {
    lock.lock();
    try {
      closing = true;
      for (ArrayDeque<ProducerBatch> q : queues.values()) {
        for (ProducerBatch b : q) {
          b.closed = true;
          if (markFinished(b)) {
            queued.add(b);
          }
        }
      }
      queues.clear();
      for (ProducerBatch b : inFlight.values()) {
        if (markFinished(b)) {
          inFlightOut.add(b);
        }
      }
      signal();
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the sender (new batch, response, metadata, flush). */
  void wakeup() {
    lock.lock();
    try {
      signal();
    } finally {
      lock.unlock();
    }
  }

  private void signal() {
    signaled = true;
    work.signalAll();
  }

  /** Waits up to {@code nanos} unless woken since the last drain. */
  void awaitWork(long nanos) throws InterruptedException {
    lock.lock();
    try {
      if (!signaled && nanos > 0) {
        work.awaitNanos(nanos);
      }
    } finally {
      lock.unlock();
    }
  }
}
