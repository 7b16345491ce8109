package io.sluice.client.internal;

import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.CompressionType;
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
 * The producer's queues: per partition, a deque of batches in creation order (the last one open
 * for appends), plus each partition's batches in flight. The sender drains ready batches from it;
 * responses put batches back (retry) or mark them done.
 *
 * <p>Ordering: up to {@code maxInFlightBatches} batches of a partition are in flight at once, in
 * the order they were created (which is also their sequence order). A batch that comes back for a
 * retry is re-inserted in creation order, so it goes before every later batch of its partition,
 * and a retry is sent only once no earlier batch of its partition is in flight (as Kafka's
 * idempotent producer does). Without idempotence only one batch per partition is in flight: a
 * retry could otherwise land after a later batch.
 *
 * <p>Idempotence: a batch is sealed with the current producer id and its partition's next
 * sequence when it is drained for its first send, so sequences follow creation order. The
 * leader remembers the last 5 sequence ranges per partition, hence at most 5 batches in flight:
 * a retry is either a duplicate the leader recognises or the sequence it expects next (or, while
 * an earlier batch is still unsettled, refused OUT_OF_ORDER_SEQUENCE, which the sender then
 * retries after that batch). Batches sealed under a new producer id are not sent while batches
 * of the same partition under the old id are in flight. When a sealed batch ends without
 * success, its partition's sequence is rolled back if it was certainly not written and was the
 * last sealed; otherwise the producer id is dropped: later batches are sealed under a new one,
 * every partition starting again at sequence 0 (a later batch already sealed under the old id
 * is then refused OUT_OF_ORDER_SEQUENCE, nothing written, and re-sealed).
 *
 * <p>Atomic writes ({@link AtomicWrite}): their batches are queued behind the earlier batches of
 * each of their partitions, and drained together, in a request of their own, once each is at the
 * head of its partition and may be sent.
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
  /** Protobuf framing of one PartitionBatch in a request, besides its topic name and bytes (an upper bound). */
  private static final int BATCH_OVERHEAD_BYTES = 32;
  private static final long WAIT_NANOS_MAX = TimeUnit.SECONDS.toNanos(1);

  /**
   * What the sender should do now.
   *
   * @param toSend    batches for one request, already marked in flight
   * @param expired   batches past their delivery deadline, or that could not be encoded, already marked finished
   * @param waitNanos how long the sender may sleep if it sends nothing
   * @param hasQueued whether batches remain queued (waiting for linger, retry, leader, a slot)
   * @param needsProducerId whether a ready batch waits for a producer id (idempotence only)
   * @param atomic    the atomic write {@code toSend} is (then they are exactly its batches), or null
   */
  record Drain(List<ProducerBatch> toSend, List<ProducerBatch> expired, long waitNanos, boolean hasQueued,
      boolean needsProducerId, AtomicWrite atomic) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Map<TopicPartition, ArrayDeque<ProducerBatch>> queues = new LinkedHashMap<>();
  /** Per partition, its batches in flight (at most maxInFlightBatches), in no particular order. */
  private final Map<TopicPartition, List<ProducerBatch>> inFlight = new HashMap<>();
  /**
   * Per partition, the batches sent since (and including) its earliest unsettled one, in sealing
   * order; finished ones are pruned from the front only. A batch acknowledged while an earlier one
   * is still unsettled (its answer was lost) still counts: the leader's memory of 5 ranges must
   * reach back to that earlier batch, so at most maxInFlightBatches batches may be in this window.
   */
  private final Map<TopicPartition, ArrayDeque<ProducerBatch>> window = new HashMap<>();
  private final Set<ProducerBatch> incomplete = new LinkedHashSet<>();
  private final Partitioner partitioner;
  private final int batchSizeBytesMax;
  private final long lingerNanos;
  private final boolean idempotent;
  private final int maxInFlightBatches;
  private final CompressionType compression;
  private long nextOrder;
  /** What new batches are sealed with; null until a producer id is set, and after it is dropped. */
  private ProducerIdentity producer;
  /** Next sequence per partition under {@link #producer}; absent = 0. */
  private final Map<TopicPartition, Long> nextSequence = new HashMap<>();
  /** Per partition, the end (last + 1) of the highest sequence acknowledged, and under which id. */
  private final Map<TopicPartition, Acked> lastAcked = new HashMap<>();

  private record Acked(ProducerIdentity producer, long sequenceEnd) {}

  private boolean signaled;
  private int flushes;
  private boolean closing;

  /**
   * @param maxInFlightBatches batches of one partition in flight at once (1 to 5); only 1 is used
   *                           without idempotence
   */
  RecordAccumulator(Partitioner partitioner, int batchSizeBytesMax, long lingerNanos, boolean idempotent,
      int maxInFlightBatches, CompressionType compression) {
    this.compression = compression;
    this.partitioner = partitioner;
    this.batchSizeBytesMax = batchSizeBytesMax;
    this.lingerNanos = lingerNanos;
    this.idempotent = idempotent;
    this.maxInFlightBatches = idempotent ? maxInFlightBatches : 1;
  }

  /** A new, empty batch for {@code tp}, next in creation order. Call with the lock held. */
  private ProducerBatch newBatch(TopicPartition tp) {
    return new ProducerBatch(tp, System.nanoTime(), nextOrder++, compression);
  }

  /**
   * Builds the batches of an atomic write (one per partition, each holding that partition's
   * records in list order) and queues them behind every earlier batch of their partitions,
   * closing the partitions' open batches so that records sent before this call go first. Sets
   * each record's {@link PendingRecord#future}.
   *
   * @return the atomic write, or null when the producer is closing
   * @throws InvalidRequestException when the batches would not fit in one request (nothing queued)
   */
  AtomicWrite appendAtomic(List<PendingRecord> records, GroupOffsetCommit groupCommit, long deadlineNanos) {
    lock.lock();
    try {
      if (closing) {
        return null;
      }
      Map<TopicPartition, ProducerBatch> byPartition = new LinkedHashMap<>();
      for (PendingRecord r : records) {
        int p = r.partition != null ? r.partition : partitioner.partition(r.topic, r.key, r.partitionCount);
        ProducerBatch b = byPartition.computeIfAbsent(new TopicPartition(r.topic, p), this::newBatch);
        r.future = b.add(r.timestampMs, r.key, r.value, r.headers, r.reservedBytes, deadlineNanos);
      }
      long bytes = 0;
      for (ProducerBatch b : byPartition.values()) {
        bytes += b.sizeBytes() + BATCH_OVERHEAD_BYTES + b.tp.topic().length();
      }
      if (bytes > REQUEST_BYTES_MAX) {
        throw new InvalidRequestException("the atomic write's " + records.size() + " records for "
            + byPartition.size() + " partitions encode to about " + bytes + " bytes, over the " + REQUEST_BYTES_MAX
            + " bytes one request may carry; split it, or send the records separately", null, "RECORD_TOO_LARGE",
            WriteOutcome.NOT_WRITTEN, null);
      }
      List<ProducerBatch> members = new ArrayList<>(byPartition.values());
      AtomicWrite atomic = new AtomicWrite(members, groupCommit);
      for (ProducerBatch b : members) {
        ProducerBatch open = openBatch(b.tp);
        if (open != null) {
          close(open);
        }
        b.closed = true;
        b.atomic = atomic;
        queues.computeIfAbsent(b.tp, k -> new ArrayDeque<>()).addLast(b);
        incomplete.add(b);
      }
      signal();
      return atomic;
    } finally {
      lock.unlock();
    }
  }

  /** A checked record of an atomic write on its way into its batch; appendAtomic sets {@link #future}. */
  static final class PendingRecord {
    final String topic;
    /** The record's partition, or null for the partitioner's choice. */
    final Integer partition;
    final int partitionCount;
    final long timestampMs;
    final byte[] key;
    final byte[] value;
    final List<Header> headers;
    final long reservedBytes;
    CompletableFuture<RecordMetadata> future;

    PendingRecord(String topic, Integer partition, int partitionCount, long timestampMs, byte[] key, byte[] value,
        List<Header> headers, long reservedBytes) {
      this.topic = topic;
      this.partition = partition;
      this.partitionCount = partitionCount;
      this.timestampMs = timestampMs;
      this.key = key;
      this.value = value;
      this.headers = headers;
      this.reservedBytes = reservedBytes;
    }
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
        open = newBatch(tp);
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
   * (at most one per partition, within each partition's in-flight limits), sealing those sent for
   * the first time. An atomic write always makes a request of its own.
   */
  Drain drain(boolean canSend) {
    lock.lock();
    try {
      signaled = false;
      long now = System.nanoTime();
      List<ProducerBatch> expired = new ArrayList<>();
      List<ProducerBatch> toSend = new ArrayList<>();
      AtomicWrite atomic = null;
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
        if (!canSend || atomic != null) {
          continue;
        }
        ProducerBatch head = q.peekFirst();
        long readyIn = readyInNanos(head, now);
        if (readyIn > 0) {
          wait = Math.min(wait, readyIn);
          continue;
        }
        if (!head.sealed() && idempotent && producer == null) {
          needsProducerId = true; // setProducer() wakes the sender
          continue;
        }
        if (!mayBeSent(head)) {
          continue; // a response for its partition wakes the sender
        }
        if (head.atomic != null) {
          if (!toSend.isEmpty()) {
            wait = 0; // ready, but for a request of its own
            continue;
          }
          AtomicWrite candidate = head.atomic;
          long membersReadyIn = atomicReadyInNanos(candidate, now);
          if (membersReadyIn > 0) {
            wait = Math.min(wait, membersReadyIn);
            continue;
          }
          if (membersReadyIn < 0) {
            continue; // a member waits behind another batch of its partition
          }
          Boolean sealed = sealOrFail(candidate.batches(), expired);
          if (sealed == null) {
            continue; // could not be encoded: failed
          }
          if (!sealed) {
            needsProducerId = true;
            continue;
          }
          for (ProducerBatch m : candidate.batches()) {
            queues.get(m.tp).pollFirst();
            addToWindow(m);
            toSend.add(m);
            inFlight.computeIfAbsent(m.tp, k -> new ArrayList<>()).add(m);
          }
          atomic = candidate;
          continue;
        }
        close(head); // ready: it takes no more records
        boolean alone = head.sendAlone || (!toSend.isEmpty() && toSend.get(0).sendAlone);
        // sizeBytes() before sealing is exact, or an upper bound when compressing.
        if (!toSend.isEmpty() && (alone || bytes + head.sizeBytes() > REQUEST_BYTES_MAX)) {
          wait = 0; // ready, but for the next request
          continue;
        }
        if (!head.sealed()) {
          Boolean sealed = sealOrFail(List.of(head), expired);
          if (sealed == null) {
            continue; // could not be encoded: failed
          }
          if (!sealed) {
            needsProducerId = true; // this id has no sequences left for the partition
            continue;
          }
        }
        q.pollFirst();
        addToWindow(head);
        bytes += head.encoded().length;
        toSend.add(head);
        inFlight.computeIfAbsent(head.tp, k -> new ArrayList<>()).add(head);
      }
      return new Drain(toSend, expired, Math.max(0, wait), !queues.isEmpty(), needsProducerId, atomic);
    } finally {
      lock.unlock();
    }
  }

  /** Notes a batch sent: on its first send it joins its partition's window. */
  private void addToWindow(ProducerBatch b) {
    if (!b.inWindow) {
      b.inWindow = true;
      window.computeIfAbsent(b.tp, k -> new ArrayDeque<>()).addLast(b);
    }
  }

  /** Nanos until {@code head} may go (linger, retry backoff); zero or less when ready now. */
  private long readyInNanos(ProducerBatch head, long now) {
    // nanoTime values are compared by difference only: they may be negative or wrap.
    long lingerAt = head.closed || flushes > 0 || closing ? now : head.createdNanos + lingerNanos;
    long readyAt = head.retryAtNanos - lingerAt > 0 ? head.retryAtNanos : lingerAt;
    return readyAt - now;
  }

  /**
   * Whether a partition's head batch may join a request now, given its partition's batches in
   * flight: fewer than maxInFlightBatches in flight, and for a new batch fewer in the window
   * since the earliest unsettled one; all of them under the producer id it carries (or will
   * be sealed with), so that a new id's batches never overtake an old id's; and, for a retry
   * (already sealed), none of them earlier in the partition, so retries go one at a time, in order.
   */
  private boolean mayBeSent(ProducerBatch head) {
    ArrayDeque<ProducerBatch> sent = window.get(head.tp);
    while (sent != null && !sent.isEmpty() && sent.peekFirst().finished) {
      sent.pollFirst();
    }
    if (!head.sealed() && sent != null && sent.size() >= maxInFlightBatches) {
      return false;
    }
    List<ProducerBatch> flying = inFlight.get(head.tp);
    if (flying == null || flying.isEmpty()) {
      return true;
    }
    if (flying.size() >= maxInFlightBatches) {
      return false;
    }
    ProducerIdentity id = head.sealed() ? head.producer : producer;
    for (ProducerBatch f : flying) {
      if (id == null || !id.equals(f.producer) || head.sealed() && f.baseSequence < head.baseSequence) {
        return false;
      }
    }
    return true;
  }

  /**
   * For an atomic write: 0 when every member heads its partition's queue, is ready and may be
   * sent; positive nanos until the latest retry time when that is all that is missing; -1 when a
   * member waits for something else (an earlier batch, a slot, a producer id).
   */
  private long atomicReadyInNanos(AtomicWrite w, long now) {
    long readyIn = 0;
    for (ProducerBatch m : w.batches()) {
      ArrayDeque<ProducerBatch> q = queues.get(m.tp);
      if (m.finished || q == null || q.peekFirst() != m || !mayBeSent(m)
          || !m.sealed() && idempotent && producer == null) {
        return -1;
      }
      readyIn = Math.max(readyIn, readyInNanos(m, now));
    }
    return readyIn;
  }

  /**
   * {@link #sealAll}, failing the batches when one cannot be encoded (the compression library
   * failed or is missing): they are taken out, finished, given {@link ProducerBatch#encodeError}
   * and added to {@code failed}.
   *
   * @return true when sealed, false when a producer id is needed first, null when failed
   */
  private Boolean sealOrFail(List<ProducerBatch> members, List<ProducerBatch> failed) {
    try {
      return sealAll(members);
    } catch (RuntimeException | LinkageError e) {
      for (ProducerBatch m : members) {
        ArrayDeque<ProducerBatch> q = queues.get(m.tp);
        if (q != null) {
          q.remove(m);
        }
        m.encodeError = e;
        if (markFinished(m)) {
          endedWithoutSuccess(m);
          failed.add(m);
        }
      }
      return null;
    }
  }

  /** Seals every unsealed batch of {@code members}, or none (false) when the id has too few sequences left. */
  private boolean sealAll(List<ProducerBatch> members) {
    if (idempotent) {
      for (ProducerBatch m : members) {
        if (!m.sealed() && nextSequence.getOrDefault(m.tp, 0L) + m.recordCount() - 1 > Integer.MAX_VALUE) {
          dropProducer(producer);
          return false;
        }
      }
    }
    for (ProducerBatch m : members) {
      if (!m.sealed()) {
        seal(m);
      }
    }
    return true;
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
    } else {
      // Later batches of its partition are sealed after a gap the leader will refuse: they are
      // re-sealed under a new id when refused (OUT_OF_ORDER_SEQUENCE, nothing written).
      dropProducer(b.producer);
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
      removeInFlight(b);
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
      insertInOrder(b);
      signal();
    } finally {
      lock.unlock();
    }
  }

  /** Puts {@code b} back into its partition's queue before every batch created after it. */
  /**
   * Makes every queued batch that waits out a retry backoff ready now; the sender calls this when
   * a new leader is known (like Kafka's KIP-951): the backoff was for the old leader's failure, and
   * sleeping it out (doubling up to 1 s) would only delay the failover. Linger and order are kept.
   *
   * @return how many batches were waiting for a retry
   */
  int skipRetryBackoff(long nowNanos) {
    lock.lock();
    try {
      int n = 0;
      for (ArrayDeque<ProducerBatch> q : queues.values()) {
        for (ProducerBatch b : q) {
          if (b.retryAtNanos - nowNanos > 0 && b.attempts > 0) {
            b.retryAtNanos = nowNanos;
            n++;
          }
        }
      }
      if (n > 0) {
        signal();
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  private void insertInOrder(ProducerBatch b) {
    ArrayDeque<ProducerBatch> q = queues.computeIfAbsent(b.tp, k -> new ArrayDeque<>());
    ArrayDeque<ProducerBatch> earlier = new ArrayDeque<>();
    while (!q.isEmpty() && q.peekFirst().order < b.order) {
      earlier.addLast(q.pollFirst());
    }
    q.addFirst(b);
    while (!earlier.isEmpty()) {
      q.addFirst(earlier.pollLast());
    }
  }

  private void removeInFlight(ProducerBatch b) {
    List<ProducerBatch> flying = inFlight.get(b.tp);
    if (flying != null && flying.remove(b) && flying.isEmpty()) {
      inFlight.remove(b.tp);
    }
  }

  /**
   * Whether an OUT_OF_ORDER_SEQUENCE refusal of {@code b} may just mean that an earlier batch of
   * its partition had not landed when the leader looked at {@code b}: a batch sealed under the
   * same producer id with an earlier sequence is still unsettled (queued or in flight), or has
   * been acknowledged since (concurrent requests may reach the leader in any order). Then
   * {@code b} is retried, after that batch. Otherwise its predecessor failed and the refusal is
   * final for this producer id.
   */
  boolean outOfOrderMayBeTransient(ProducerBatch b) {
    lock.lock();
    try {
      if (b.producer == null) {
        return false;
      }
      Acked acked = lastAcked.get(b.tp);
      if (acked != null && acked.producer().equals(b.producer) && acked.sequenceEnd() >= b.baseSequence) {
        return true;
      }
      List<ProducerBatch> candidates = new ArrayList<>(inFlight.getOrDefault(b.tp, List.of()));
      candidates.addAll(queues.getOrDefault(b.tp, new ArrayDeque<>()));
      for (ProducerBatch o : candidates) {
        if (o != b && !o.finished && b.producer.equals(o.producer) && o.baseSequence < b.baseSequence) {
          return true;
        }
      }
      return false;
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
      removeInFlight(b);
      if (b.producer != null) {
        long end = (long) b.baseSequence + b.recordCount();
        Acked acked = lastAcked.get(b.tp);
        if (acked == null || !acked.producer().equals(b.producer) || acked.sequenceEnd() < end) {
          lastAcked.put(b.tp, new Acked(b.producer, end));
        }
      }
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
      removeInFlight(b);
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
      removeInFlight(b);
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
      if (b.inWindow) {
        b.inWindow = false;
        window.get(b.tp).remove(b);
      }
      b.retryAtNanos = System.nanoTime();
      insertInOrder(b);
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
      for (List<ProducerBatch> flying : inFlight.values()) {
        for (ProducerBatch b : flying) {
          if (markFinished(b)) {
            inFlightOut.add(b);
          }
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
