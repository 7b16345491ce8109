package io.sluice.client.internal;

import io.sluice.client.NotLeaderException;
import io.sluice.client.SluiceException;
import io.sluice.client.TimeoutException;
import io.sluice.client.UnavailableException;
import io.sluice.client.WriteOutcome;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * One logical admin or metadata operation, run as attempts against nodes until it succeeds,
 * fails with an error that is not retriable (or whose write outcome is unknown), or runs out of
 * time (twice the requestTimeout). Follows NOT_LEADER hints at once; moves to the next node
 * when one is unavailable; otherwise backs off (refreshBackoff, doubling, capped at 1 s).
 *
 * <p>Thread-safe: attempts run one after another; callbacks hop through the client's timer.
 *
 * @param <T> the operation's result
 */
public final class RetryingCall<T> {
  /** Where attempts go. */
  public enum Target {
    /** The leader only (Raft writes). */
    LEADER,
    /** The leader when known, else any node, rotating on failure. */
    ANY
  }

  private final ClientContext ctx;
  private final Target target;
  private final boolean isWrite;
  private final String what;
  private final BiFunction<String, Duration, CompletableFuture<T>> attempt;
  private final CompletableFuture<T> result = new CompletableFuture<>();
  private final long deadlineNanos;
  private int attempts;
  private int backoffs;
  private volatile SluiceException lastError;

  private RetryingCall(ClientContext ctx, Target target, boolean isWrite, String what,
      BiFunction<String, Duration, CompletableFuture<T>> attempt) {
    this.ctx = ctx;
    this.target = target;
    this.isWrite = isWrite;
    this.what = what;
    this.attempt = attempt;
    this.deadlineNanos = System.nanoTime() + 2 * ctx.requestTimeout().toNanos();
  }

  /**
   * Starts the operation.
   *
   * @param what    description for error messages, e.g. "createTopic orders"
   * @param attempt makes one attempt against a node address with a timeout
   */
  public static <T> CompletableFuture<T> run(ClientContext ctx, Target target, boolean isWrite,
      String what, BiFunction<String, Duration, CompletableFuture<T>> attempt) {
    RetryingCall<T> call = new RetryingCall<>(ctx, target, isWrite, what, attempt);
    call.next();
    return call.result;
  }

  private WriteOutcome notDone() {
    return isWrite ? WriteOutcome.NOT_WRITTEN : WriteOutcome.NOT_A_WRITE;
  }

  private void next() {
    long remaining = deadlineNanos - System.nanoTime();
    if (remaining <= 0) {
      SluiceException last = lastError;
      result.completeExceptionally(last != null ? last : new TimeoutException(
          what + " found no node to ask within " + Duration.ofNanos(2 * ctx.requestTimeout().toNanos()),
          null, notDone(), null));
      return;
    }
    String address = pickAddress();
    if (address == null) {
      ctx.metadata().refresh().whenComplete((info, e) -> {
        if (e != null) {
          lastError = ErrorMapper.map(e, false, false, "cluster");
        } else if (ctx.metadata().leaderAddress() == null) {
          lastError = new UnavailableException(what + ": no leader is known (election or no quorum)",
              "NO_LEADER", notDone(), null);
        }
        schedule(ctx.metadata().leaderAddress() == null ? ctx.backoffNanos(++backoffs) : 0);
      });
      return;
    }
    Duration timeout = Duration.ofNanos(Math.min(ctx.requestTimeout().toNanos(), remaining));
    attempts++;
    attempt.apply(address, timeout).whenComplete((value, e) -> {
      if (e == null) {
        result.complete(value);
      } else {
        onError(address, ErrorMapper.map(e, isWrite, true, address));
      }
    });
  }

  private String pickAddress() {
    if (target == Target.LEADER) {
      return ctx.metadata().leaderAddress();
    }
    List<String> all = ctx.metadata().addresses();
    return all.get(attempts % all.size());
  }

  private void onError(String address, SluiceException e) {
    lastError = e;
    if (e instanceof NotLeaderException nl) {
      if (nl.leaderAddress() != null && !nl.leaderAddress().equals(address)) {
        ctx.metadata().leaderHint(nl.leaderAddress());
        schedule(0);
      } else {
        ctx.metadata().nodeFailed(address);
        schedule(ctx.backoffNanos(++backoffs));
      }
      return;
    }
    if (!e.retriable() || e.writeOutcome() == WriteOutcome.UNKNOWN) {
      result.completeExceptionally(e);
      return;
    }
    boolean nodeProblem = e instanceof UnavailableException || e instanceof TimeoutException;
    if (nodeProblem) {
      ctx.metadata().nodeFailed(address);
    }
    boolean moreNodesThisRound = target == Target.ANY && nodeProblem
        && attempts % ctx.metadata().addresses().size() != 0;
    schedule(moreNodesThisRound ? 0 : ctx.backoffNanos(++backoffs));
  }

  private void schedule(long delayNanos) {
    try {
      ctx.scheduler().schedule(this::next, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      result.completeExceptionally(RpcClient.closedError(notDone(), e));
    }
  }
}
