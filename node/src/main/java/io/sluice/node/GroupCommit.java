package io.sluice.node;

import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendGroup;
import io.sluice.internal.v1.AppendGroupResult;
import io.sluice.internal.v1.Command;
import io.sluice.statemachine.CommandRejectedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The leader's produce pipeline from gRPC handler to Raft proposal: per-producer order, then group
 * commit.
 *
 * <p><b>Order.</b> An idempotent producer may have several requests in flight (the SDK's
 * {@code maxInFlightBatches}, default 5). They reach the handlers concurrently, in any order
 * (handlers run on a thread pool, and HTTP/2 interleaves the frames of concurrent calls), but the
 * state machine accepts a producer's batches on a partition only in sequence order. So a request
 * whose batch starts past the sequence the log will expect next ({@link ProducerSequences})
 * waits here, up to {@code produce.order.wait.ms}, until the earlier ones are admitted. Admitted
 * requests are proposed in admission order, one proposal at a time, so a later request never
 * overtakes an earlier one into the log. A request still early when its wait ends is proposed
 * anyway and the state machine refuses it (OUT_OF_ORDER_SEQUENCE, not written): the broker
 * rejects out-of-order sequences and the client re-sends in order, as with Kafka. Requests
 * without a producer id are never held.
 *
 * <p><b>Group commit.</b> While {@code produce.group.commit.entries.in.flight.max} produce entries
 * are proposed and not yet applied, admitted requests wait, and when one entry completes the
 * waiting ones are proposed together as one {@code AppendGroup} entry (at most
 * {@code produce.group.commit.requests.max} requests and {@code produce.group.commit.bytes.max}
 * bytes). Each request keeps its own all-or-nothing result: the state machine applies the Appends
 * of a group one by one, in admission order, and a request that fails there fails alone. A
 * request is validated on its own before it may be merged, so a bad one is refused alone
 * (NOT_WRITTEN) instead of making the merged entry fail its validation; one that was not (it
 * found the pipeline idle) and one carrying a consumer group's offsets are proposed alone.
 *
 * <p>What merging shares: the Raft entry's fate. If the entry is refused before the log (not
 * leader) every request in it is NOT_WRITTEN; if its commit times out, every one is UNKNOWN —
 * exactly as for a lone request. Acknowledgement still means committed on a majority with fsync.
 *
 * <p>Thread-safe: the queues, counters and {@link ProducerSequences} are guarded by {@code this}.
 * One thread at a time drains the queue and proposes (Ratis appends a proposal to its log in the
 * calling thread), so the log order is the admission order; a thread that finds another draining
 * leaves the work to it instead of waiting (completions may arrive on Ratis threads holding Ratis
 * locks, which must never wait for a proposal). Requests admitted or held number at most
 * {@code pending.writes.max}; more get RESOURCE_EXHAUSTED/TOO_MANY_REQUESTS (not written).
 */
final class GroupCommit {

  /** Protobuf framing of one Append inside an AppendGroup: field tag and length varint. */
  private static final int FRAMING_BYTES = 6;

  /** One produce request on its way to the log. */
  private static final class Waiting {
    final Append append;
    final int bytes;
    /** Proposed as an entry of its own: carries group offsets, or was not validated on its own. */
    final boolean alone;
    final List<ProducerSequences.Range> ranges;
    final CompletableFuture<Proposer.Outcome> result = new CompletableFuture<>();
    /** While held for order: when the wait ends (System.nanoTime). */
    long holdDeadlineNanos;

    Waiting(Append append, int bytes, boolean alone, List<ProducerSequences.Range> ranges) {
      this.append = append;
      this.bytes = bytes;
      this.alone = alone;
      this.ranges = ranges;
    }
  }

  private final SluiceNode node;
  private final boolean merging;
  private final int entriesInFlightMax;
  private final int requestsMax;
  private final int bytesMax;
  private final int queuedMax;
  private final long orderWaitMs;
  private final ProducerSequences sequences;
  /** Drain requests not yet served; the thread that raises it from 0 drains until it is 0 again. */
  private final AtomicInteger drainRequests = new AtomicInteger();
  /** Admitted, in admission order (which is proposal order). */
  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
  /** Early for their producer's sequence, in arrival order. */
  private final ArrayList<Waiting> held = new ArrayList<>();
  private int inFlight;
  private long entries;
  private long mergedRequests;
  private long heldRequests;
  private long holdsExpired;

  /**
   * @param entriesInFlightMax produce entries in flight before requests wait (0: never merge)
   * @param requestsMax        most requests in one merged entry
   * @param bytesMax           largest merged entry, requests and framing, bytes
   * @param queuedMax          most requests admitted or held here
   * @param orderWaitMs        longest a request early for its producer's sequence waits, ms
   */
  GroupCommit(SluiceNode node, int entriesInFlightMax, int requestsMax, int bytesMax, int queuedMax,
      long orderWaitMs) {
    this.node = node;
    this.merging = entriesInFlightMax > 0;
    this.entriesInFlightMax = entriesInFlightMax;
    this.requestsMax = requestsMax;
    this.bytesMax = bytesMax;
    this.queuedMax = queuedMax;
    this.orderWaitMs = orderWaitMs;
    this.sequences = new ProducerSequences(k -> node.core().nextSequence(k.producerId(), k.epoch(), k.topic(),
        k.partition()));
  }

  /**
   * Proposes one produce request, alone or merged with others, after the requests of the same
   * producer that precede it. The outcome's result is this request's own: an {@code append} or an
   * {@code error} result.
   */
  CompletableFuture<Proposer.Outcome> submit(Command command) {
    Append append = command.getAppend();
    List<ProducerSequences.Range> ranges = ProducerSequences.of(append);
    boolean validated = false;
    StatusRuntimeException refusal = node.writeRefusal();
    if (refusal != null) {
      return CompletableFuture.failedFuture(refusal); // not the leader: nothing to keep in order here
    }
    if (merging && !append.hasGroupCommit() && mayWait()) {
      // It may be merged: check it now, so that if it is bad it fails alone.
      try {
        node.stateMachine().validator().validateAppend(append, node.stateMachine().core());
      } catch (CommandRejectedException e) {
        return CompletableFuture.failedFuture(Errors.notWritten(e.reason(), e.getMessage()));
      }
      validated = true;
    }
    Waiting w = new Waiting(append, append.getSerializedSize() + FRAMING_BYTES,
        append.hasGroupCommit() || !validated, ranges);
    boolean hold;
    synchronized (this) {
      if (queue.size() + held.size() >= queuedMax) {
        return CompletableFuture.failedFuture(Errors.notWritten(ErrorReason.TOO_MANY_REQUESTS,
            "too many produce requests waiting to be proposed on " + node.id() + "; retry later"));
      }
      hold = !ranges.isEmpty() && !sequences.ready(ranges);
      if (hold) {
        w.holdDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(orderWaitMs);
        held.add(w);
        heldRequests++;
      } else {
        admit(w);
      }
    }
    if (hold) {
      try {
        node.scheduler().schedule(() -> expireHolds(false), orderWaitMs, TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException stopping) {
        expireHolds(true);
      }
    }
    drain();
    return w.result;
  }

  /** Entries proposed through here and requests they carried (for metrics and tests). */
  synchronized long[] counts() {
    return new long[] {entries, mergedRequests};
  }

  /** Requests held for their producer's order so far, and those whose wait ran out (for metrics and tests). */
  synchronized long[] orderCounts() {
    return new long[] {heldRequests, holdsExpired};
  }

  /** Requests waiting to be proposed now. */
  synchronized int queued() {
    return queue.size() + held.size();
  }

  /** Whether a request arriving now would not be proposed at once (so it may be merged). */
  private synchronized boolean mayWait() {
    return inFlight >= entriesInFlightMax || !queue.isEmpty() || !held.isEmpty();
  }

  /** Admits {@code w} behind the requests admitted before it, then any held request this makes ready. */
  private void admit(Waiting w) {
    sequences.admitted(w.ranges);
    queue.add(w);
    releaseReady();
  }

  /** Admits held requests that are no longer early, until none is. Called under the lock. */
  private void releaseReady() {
    boolean progress = true;
    while (progress && !held.isEmpty()) {
      progress = false;
      for (int i = 0; i < held.size(); i++) {
        Waiting h = held.get(i);
        if (sequences.ready(h.ranges)) {
          held.remove(i);
          sequences.admitted(h.ranges);
          queue.add(h);
          progress = true;
          break;
        }
      }
    }
  }

  /** Admits held requests whose wait has ended ({@code all}: every one), in arrival order: the state machine judges them. */
  private void expireHolds(boolean all) {
    long now = System.nanoTime();
    synchronized (this) {
      for (int i = 0; i < held.size(); ) {
        Waiting h = held.get(i);
        if (all || h.holdDeadlineNanos - now <= 0) {
          held.remove(i);
          holdsExpired++;
          sequences.admitted(h.ranges);
          queue.add(h);
        } else {
          i++;
        }
      }
      releaseReady();
    }
    drain();
  }

  /** Proposes admitted requests, in admission order, while fewer than the maximum of entries are in flight. */
  private void drain() {
    if (drainRequests.getAndIncrement() != 0) {
      return; // the draining thread will look again
    }
    int served = 1;
    do {
      while (true) {
        List<Waiting> group;
        synchronized (this) {
          if (queue.isEmpty() || merging && inFlight >= entriesInFlightMax) {
            break;
          }
          group = takeGroup();
          inFlight++;
          entries++;
          mergedRequests += group.size();
        }
        CompletableFuture<Proposer.Outcome> proposed = node.proposer().propose(command(group));
        // If already complete (refused at once), this runs here and its drain() only asks this loop to look again.
        proposed.whenComplete((outcome, error) -> {
          settle(group, proposed);
          drain();
        });
      }
      served = drainRequests.addAndGet(-served);
    } while (served != 0);
  }

  /** The next entry's requests off the head of the queue. Called under the lock. */
  private List<Waiting> takeGroup() {
    Waiting first = queue.poll();
    List<Waiting> group = new ArrayList<>();
    group.add(first);
    if (!merging || first.alone) {
      return group;
    }
    long bytes = first.bytes;
    while (!queue.isEmpty() && !queue.peek().alone && group.size() < requestsMax
        && bytes + queue.peek().bytes <= bytesMax) {
      Waiting w = queue.poll();
      bytes += w.bytes;
      group.add(w);
    }
    return group;
  }

  private static Command command(List<Waiting> group) {
    Command.Builder command = Command.newBuilder().setTimestampMs(System.currentTimeMillis());
    if (group.size() == 1) {
      command.setAppend(group.get(0).append);
    } else {
      AppendGroup.Builder g = AppendGroup.newBuilder();
      group.forEach(w -> g.addAppends(w.append));
      command.setAppendGroup(g);
    }
    return command.build();
  }

  /** Completes the requests of a proposed entry with their own outcomes, and updates the sequences. */
  private void settle(List<Waiting> group, CompletableFuture<Proposer.Outcome> proposed) {
    List<Object> outcomes = outcomes(group, proposed);
    synchronized (this) {
      inFlight--;
      for (int i = 0; i < group.size(); i++) {
        boolean written = outcomes.get(i) instanceof Proposer.Outcome o && o.result().hasAppend();
        sequences.settled(group.get(i).ranges, written);
      }
      releaseReady();
    }
    for (int i = 0; i < group.size(); i++) {
      if (outcomes.get(i) instanceof Proposer.Outcome o) {
        group.get(i).result.complete(o);
      } else {
        group.get(i).result.completeExceptionally((Throwable) outcomes.get(i));
      }
    }
  }

  /** Each request's outcome (a {@link Proposer.Outcome}) or failure (a Throwable). */
  private static List<Object> outcomes(List<Waiting> group, CompletableFuture<Proposer.Outcome> proposed) {
    Proposer.Outcome outcome;
    try {
      outcome = proposed.join();
    } catch (CompletionException | CancellationException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return java.util.Collections.nCopies(group.size(), cause);
    }
    if (group.size() == 1 || outcome.result().hasError()) {
      // A lone request, or the entry as a whole failed deterministically (cannot happen for a validated group).
      return java.util.Collections.nCopies(group.size(), outcome);
    }
    AppendGroupResult results = outcome.result().getAppendGroup();
    if (results.getResultsCount() != group.size()) {
      return java.util.Collections.nCopies(group.size(), new IllegalStateException("group commit of "
          + group.size() + " requests got " + results.getResultsCount() + " results"));
    }
    List<Object> out = new ArrayList<>(group.size());
    for (int i = 0; i < group.size(); i++) {
      out.add(new Proposer.Outcome(results.getResults(i), outcome.raftIndex()));
    }
    return out;
  }
}
