package io.sluice.client.internal;

import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.client.WriteOutcome;
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
 * <p>Idempotence: a batch is sealed with the current producer id and its partition's next
 * sequence when it is drained for its first send, so sequences follow send order. Because at
 * most one batch per partition is in flight, the sealed batch of a partition is always its
 * last: a retry of it is either a duplicate the leader recognises (it holds the last 5 ranges)
 * or the sequence the leader expects next. When a sealed batch ends without success, its
 * partition's sequence is rolled back if it was certainly not written, and otherwise (written or
 * not, nobody knows) the producer id is dropped: later batches are sealed under a new one, every
 * partition starting again at sequence 0, since no sequence of the old id is now safe to use.
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
   * @param needsProducerId whether a ready batch waits for a producer id (idempotence only)
   */
  record Drain(List<ProducerBatch> toSend, List<ProducerBatch> expired, long waitNanos, boolean hasQueued,
      boolean needsProducerId) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Map<TopicPartition, ArrayDeque<ProducerBatch>> queues = new LinkedHashMap<>();
  private final Map<TopicPartition, ProducerBatch> inFlight = new HashMap<>();
  private final Set<ProducerBatch> incomplete = new LinkedHashSet<>();
  private final Partitioner partitioner;
  private final int batchSizeBytesMax;
  private final long lingerNanos;
  private final boolean idempotent;
  /** What new batches are sealed with; null until a producer id is set, and after it is dropped. */
  private ProducerIdentity producer;
  /** Next sequence per partition under {@link #producer}; absent = 0. */
  private final Map<TopicPartition, Long> nextSequence = new HashMap<>();
  private boolean signaled;
  private int flushes;
  private boolean closing;

  RecordAccumulator(Partitioner partitioner, int batchSizeBytesMax, long lingerNanos, boolean idempotent) {
    this.partitioner = partitioner;
    this.batchSizeBytesMax = batchSizeBytesMax;
    this.lingerNanos = lingerNanos;
    this.idempotent = idempotent;
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
   * (at most one per partition, none of a partition with a batch in flight), sealing those sent
   * for the first time.
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
      boolean needsProducerId = false;
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
        if (!head.sealed() && idempotent && producer == null) {
          needsProducerId = true; // setProducer() wakes the sender
          continue;
        }
        close(head); // ready: it takes no more records
        boolean alone = head.sendAlone || (!toSend.isEmpty() && toSend.get(0).sendAlone);
        // sizeBytes() is exact before sealing too: the producer fields have a fixed size.
        if (!toSend.isEmpty() && (alone || bytes + head.sizeBytes() > REQUEST_BYTES_MAX)) {
          wait = 0; // ready, but for the next request
          continue;
        }
        if (!head.sealed() && !seal(head)) {
          needsProducerId = true; // this id has no sequences left for the partition
          continue;
        }
        q.pollFirst();
        bytes += head.encoded().length;
        toSend.add(head);
        inFlight.put(head.tp, head);
      }
      return new Drain(toSend, expired, Math.max(0, wait), !queues.isEmpty(), needsProducerId);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stamps {@code b} with the producer id and its partition's next sequences. False when the
   * sequences would pass Integer.MAX_VALUE: then the id is dropped and a new one must come first.
   */
  private boolean seal(ProducerBatch b) {
    if (!idempotent) {
      b.seal(null, -1);
      return true;
    }
    long first = nextSequence.getOrDefault(b.tp, 0L);
    long next = first + b.recordCount();
    if (next - 1 > Integer.MAX_VALUE) {
      dropProducer(producer);
      return false;
    }
    b.seal(producer, (int) first);
    nextSequence.put(b.tp, next);
    return true;
  }

  /** Stops sealing new batches with {@code p} (if it is still the current id). */
  private void dropProducer(ProducerIdentity p) {
    if (p != null && p.equals(producer)) {
      producer = null;
      nextSequence.clear();
    }
  }

  /**
   * Sequence bookkeeping for a sealed batch that ends without success: if it was certainly not
   * written, the next batch of its partition takes its sequences; if it may have been, the
   * partition's next sequence is unknown and its producer id is dropped.
   */
  private void endedWithoutSuccess(ProducerBatch b) {
    if (b.producer == null) {
      return;
    }
    if (b.maybeWritten) {
      dropProducer(b.producer);
      return;
    }
    long end = (long) b.baseSequence + b.recordCount();
    if (b.producer.equals(producer) && nextSequence.getOrDefault(b.tp, 0L) == end) {
      nextSequence.put(b.tp, (long) b.baseSequence);
    }
  }

  /** Sets the producer id new batches are sealed with; every partition starts at sequence 0. */
  void setProducer(ProducerIdentity p) {
    lock.lock();
    try {
      producer = p;
      nextSequence.clear();
      signal();
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
          endedWithoutSuccess(b);
          out.add(b);
        }
      } else {
        next = Math.min(next, b.deadlineNanos - now);
      }
    }
    return next;
  }

  /**
   * Puts an in-flight batch back at the front of its partition, to be sent at {@code retryAtNanos}
   * as the same bytes. An {@code error} whose write outcome is UNKNOWN marks it maybe written.
   */
  void requeue(ProducerBatch b, long retryAtNanos, boolean sendAlone, SluiceException error) {
    lock.lock();
    try {
      inFlight.remove(b.tp, b);
      if (error != null && error.writeOutcome() == WriteOutcome.UNKNOWN) {
        b.maybeWritten = true;
      }
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

  /**
   * Marks an in-flight batch failed by {@code error}, which marks it maybe written when its
   * outcome is UNKNOWN. The caller reports IndeterminateException if {@link ProducerBatch#maybeWritten}.
   *
   * @return true when the caller must complete it (false if close() already did)
   */
  boolean fail(ProducerBatch b, SluiceException error) {
    lock.lock();
    try {
      inFlight.remove(b.tp, b);
      if (error.writeOutcome() == WriteOutcome.UNKNOWN) {
        b.maybeWritten = true;
      }
      signal();
      if (!markFinished(b)) {
        return false;
      }
      endedWithoutSuccess(b);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * An in-flight batch sent alone was refused for its producer id or sequence (UNKNOWN_PRODUCER_ID,
   * PRODUCER_FENCED, OUT_OF_ORDER_SEQUENCE; nothing was written). Its id is dropped. If no earlier
   * attempt may have been written it is unsealed and put back at the front of its partition, to
   * be sealed again under the next producer id; otherwise re-sending it under a new id could
   * store it twice, so it is finished and the caller fails it as indeterminate.
   *
   * @return true when the caller must fail it (false if it is re-queued, or close() completed it)
   */
  boolean producerRejected(ProducerBatch b, SluiceException error) {
    lock.lock();
    try {
      inFlight.remove(b.tp, b);
      dropProducer(b.producer);
      signal();
      if (b.finished) {
        return false;
      }
      b.lastError = error;
      if (b.maybeWritten) {
        return markFinished(b);
      }
      b.unseal();
      b.retryAtNanos = System.nanoTime();
      queues.computeIfAbsent(b.tp, k -> new ArrayDeque<>()).addFirst(b);
      return false;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes out every queued batch that waits for a producer id (never sealed), for the caller to
   * fail when no producer id can be had.
   */
  List<ProducerBatch> takeUnsealed() {
    lock.lock();
    try {
      List<ProducerBatch> out = new ArrayList<>();
      for (ArrayDeque<ProducerBatch> q : queues.values()) {
        Iterator<ProducerBatch> it = q.iterator();
        while (it.hasNext()) {
          ProducerBatch b = it.next();
          if (!b.sealed()) {
            it.remove();
            close(b);
            if (markFinished(b)) {
              out.add(b);
            }
          }
        }
      }
      queues.values().removeIf(ArrayDeque::isEmpty);
      signal();
      return out;
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
