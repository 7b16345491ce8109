package io.sluice.node;

import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandError;
import io.sluice.internal.v1.CommitOffsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Batches offset commits: while one CommitOffsets entry is in flight, commits queue up, and the
 * next entry carries all of them (up to {@code group.commit.batch.commits.max} and half of
 * {@code request.bytes.max}). Each commit is fenced on its own in apply and gets its own outcome.
 *
 * <p>Thread-safe (one lock around the queue; proposals complete on Ratis threads).
 */
final class CommitBatcher {
  /** One commit's outcome: null error when written, with the Raft index of its entry. */
  record Outcome(CommandError error, long raftIndex) {}

  private record Pending(GroupOffsetCommit commit, CompletableFuture<Outcome> future) {}

  private final SluiceNode node;
  private final int batchMax;
  private final int queueMax;
  private final int batchBytesMax;
  private final Deque<Pending> queue = new ArrayDeque<>();
  private boolean inFlight;

  CommitBatcher(SluiceNode node, int batchMax, int queueMax, int batchBytesMax) {
    this.node = node;
    this.batchMax = batchMax;
    this.queueMax = queueMax;
    this.batchBytesMax = batchBytesMax;
  }

  /** Queues a (statically validated) commit; the future fails with a StatusRuntimeException. */
  CompletableFuture<Outcome> submit(GroupOffsetCommit commit) {
    CompletableFuture<Outcome> f = new CompletableFuture<>();
    synchronized (this) {
      if (queue.size() >= queueMax) {
        return CompletableFuture.failedFuture(Errors.notWritten(ErrorReason.TOO_MANY_REQUESTS,
            queue.size() + " offset commits are waiting on " + node.id() + "; retry later"));
      }
      queue.add(new Pending(commit, f));
      if (inFlight) {
        return f;
      }
      inFlight = true;
    }
    proposeNext();
    return f;
  }

  private void proposeNext() {
    List<Pending> batch = new ArrayList<>();
    synchronized (this) {
      int bytes = 0;
      while (!queue.isEmpty() && batch.size() < batchMax
          && (batch.isEmpty() || bytes + queue.peek().commit().getSerializedSize() <= batchBytesMax)) {
        Pending p = queue.poll();
        bytes += p.commit().getSerializedSize();
        batch.add(p);
      }
      if (batch.isEmpty()) {
        inFlight = false;
        return;
      }
    }
    CommitOffsets.Builder commits = CommitOffsets.newBuilder();
    batch.forEach(p -> commits.addCommits(p.commit()));
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis()).setCommitOffsets(commits).build();
    node.proposer().propose(command).whenComplete((outcome, error) -> {
      for (int i = 0; i < batch.size(); i++) {
        CompletableFuture<Outcome> f = batch.get(i).future();
        if (error != null) {
          f.completeExceptionally(error);
        } else if (outcome.result().hasError()) {
          f.completeExceptionally(Replies.fromCommandError(outcome.result().getError()));
        } else {
          CommandError e = outcome.result().getCommits().getResults(i);
          f.complete(new Outcome(e.getReason().isEmpty() ? null : e, outcome.raftIndex()));
        }
      }
      proposeNext();
    });
  }

  static StatusRuntimeException failure(CommandError e) {
    return Replies.fromCommandError(e);
  }
}
