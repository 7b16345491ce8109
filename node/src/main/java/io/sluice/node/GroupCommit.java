package io.sluice.node;

import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendGroup;
import io.sluice.internal.v1.AppendGroupResult;
import io.sluice.internal.v1.Command;
import io.sluice.statemachine.CommandRejectedException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Group commit on the leader: while {@code produce.group.commit.entries.in.flight.max} produce
 * entries are proposed and not yet applied, further produce requests wait here, and when one
 * entry completes the waiting ones are proposed together as one {@code AppendGroup} entry (at most
 * {@code produce.group.commit.requests.max} requests and {@code produce.group.commit.bytes.max}
 * bytes). Each request keeps its own all-or-nothing result: the state machine applies the Appends
 * of a group one by one, and a request that fails there (e.g. an out-of-order sequence) fails
 * alone. A request is validated on its own before it waits here, so a bad one is refused alone
 * (NOT_WRITTEN) instead of making the merged entry fail its validation.
 *
 * <p>What merging shares: the Raft entry's fate. If the entry is refused before the log (not
 * leader) every request in it is NOT_WRITTEN; if its commit times out, every one is UNKNOWN —
 * exactly as for a lone request. Acknowledgement still means committed on a majority with fsync.
 *
 * <p>Order: waiting requests are taken in arrival order and a group is applied in that order.
 * Two entries proposed at once may enter the log in either order, as two requests arriving at
 * once always could; a client that needs order waits for one answer before sending the next
 * (the SDK keeps one batch per partition in flight). Requests carrying a consumer group's offsets
 * ({@code group_commit}) are proposed alone.
 *
 * <p>Thread-safe: the queue and counters are guarded by {@code this}; proposing and completing
 * happen outside the lock. The queue holds at most {@code pending.writes.max} requests; more get
 * RESOURCE_EXHAUSTED/TOO_MANY_REQUESTS (not written).
 */
final class GroupCommit {

  /** Protobuf framing of one Append inside an AppendGroup: field tag and length varint. */
  private static final int FRAMING_BYTES = 6;

  private record Waiting(Append append, int bytes, CompletableFuture<Proposer.Outcome> result) {}

  private final SluiceNode node;
  private final int entriesInFlightMax;
  private final int requestsMax;
  private final int bytesMax;
  private final int queuedMax;
  private final ArrayDeque<Waiting> queue = new ArrayDeque<>();
  private int inFlight;
  private long entries;
  private long mergedRequests;

  /**
   * @param entriesInFlightMax produce entries in flight before requests wait (0: never merge)
   * @param requestsMax        most requests in one merged entry
   * @param bytesMax           largest merged entry, requests and framing, bytes
   * @param queuedMax          most requests waiting
   */
  GroupCommit(SluiceNode node, int entriesInFlightMax, int requestsMax, int bytesMax, int queuedMax) {
    this.node = node;
    this.entriesInFlightMax = entriesInFlightMax;
    this.requestsMax = requestsMax;
    this.bytesMax = bytesMax;
    this.queuedMax = queuedMax;
  }

  /**
   * Proposes one produce request, alone or merged with others. The outcome's result is this
   * request's own: an {@code append} or an {@code error} result.
   */
  CompletableFuture<Proposer.Outcome> submit(Command command) {
    Append append = command.getAppend();
    if (entriesInFlightMax == 0 || append.hasGroupCommit()) {
      synchronized (this) {
        entries++;
        mergedRequests++;
      }
      return node.proposer().propose(command);
    }
    synchronized (this) {
      if (inFlight < entriesInFlightMax && queue.isEmpty()) {
        inFlight++;
        return track(node.proposer().propose(command));
      }
    }
    // It will wait: check it now, so that if it is bad it fails alone.
    try {
      node.stateMachine().validator().validateAppend(append, node.stateMachine().core());
    } catch (CommandRejectedException e) {
      return CompletableFuture.failedFuture(Errors.notWritten(e.reason(), e.getMessage()));
    }
    int bytes = append.getSerializedSize() + FRAMING_BYTES;
    CompletableFuture<Proposer.Outcome> result = new CompletableFuture<>();
    synchronized (this) {
      if (queue.size() >= queuedMax) {
        return CompletableFuture.failedFuture(Errors.notWritten(ErrorReason.TOO_MANY_REQUESTS,
            "too many produce requests waiting for group commit on " + node.id() + "; retry later"));
      }
      queue.add(new Waiting(append, bytes, result));
    }
    drain();
    return result;
  }

  /** Entries proposed through here and requests they carried (for metrics and tests). */
  synchronized long[] counts() {
    return new long[] {entries, mergedRequests};
  }

  /** Requests waiting to be proposed now. */
  synchronized int queued() {
    return queue.size();
  }

  private CompletableFuture<Proposer.Outcome> track(CompletableFuture<Proposer.Outcome> proposed) {
    synchronized (this) {
      entries++;
      mergedRequests++;
    }
    return proposed.whenComplete((outcome, error) -> entryDone());
  }

  private void entryDone() {
    synchronized (this) {
      inFlight--;
    }
    drain();
  }

  /** Proposes waiting requests while fewer than the maximum of entries are in flight. */
  private void drain() {
    while (true) {
      List<Waiting> group = new ArrayList<>();
      synchronized (this) {
        if (inFlight >= entriesInFlightMax || queue.isEmpty()) {
          return;
        }
        long bytes = 0;
        while (!queue.isEmpty() && group.size() < requestsMax
            && (group.isEmpty() || bytes + queue.peek().bytes() <= bytesMax)) {
          Waiting w = queue.poll();
          bytes += w.bytes();
          group.add(w);
        }
        inFlight++;
        entries++;
        mergedRequests += group.size();
      }
      propose(group);
    }
  }

  private void propose(List<Waiting> group) {
    Command.Builder command = Command.newBuilder().setTimestampMs(System.currentTimeMillis());
    if (group.size() == 1) {
      command.setAppend(group.get(0).append());
    } else {
      AppendGroup.Builder g = AppendGroup.newBuilder();
      group.forEach(w -> g.addAppends(w.append()));
      command.setAppendGroup(g);
    }
    node.proposer().propose(command.build()).whenComplete((outcome, error) -> {
      entryDone();
      if (error != null) {
        group.forEach(w -> w.result().completeExceptionally(error));
      } else if (group.size() == 1) {
        group.get(0).result().complete(outcome);
      } else {
        complete(group, outcome);
      }
    });
  }

  private static void complete(List<Waiting> group, Proposer.Outcome outcome) {
    if (outcome.result().hasError()) {
      // The entry as a whole failed deterministically (cannot happen for a validated group).
      group.forEach(w -> w.result().complete(outcome));
      return;
    }
    AppendGroupResult results = outcome.result().getAppendGroup();
    if (results.getResultsCount() != group.size()) {
      IllegalStateException broken = new IllegalStateException("group commit of " + group.size()
          + " requests got " + results.getResultsCount() + " results");
      group.forEach(w -> w.result().completeExceptionally(broken));
      return;
    }
    for (int i = 0; i < group.size(); i++) {
      group.get(i).result().complete(new Proposer.Outcome(results.getResults(i), outcome.raftIndex()));
    }
  }
}
