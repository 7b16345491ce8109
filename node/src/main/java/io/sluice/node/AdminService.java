package io.sluice.node;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.AddNodeRequest;
import io.sluice.api.v1.AddNodeResponse;
import io.sluice.api.v1.AdminServiceGrpc;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.RemoveNodeRequest;
import io.sluice.api.v1.RemoveNodeResponse;
import io.sluice.api.v1.TakeSnapshotRequest;
import io.sluice.api.v1.TakeSnapshotResponse;
import io.sluice.api.v1.TransferLeaderRequest;
import io.sluice.api.v1.TransferLeaderResponse;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * The gRPC face of {@link Membership}. Membership changes block while Ratis works (a new node may
 * take minutes to catch up), so they run on this service's own thread, one at a time, with at
 * most {@link #QUEUED_MAX} waiting; each is bounded by the caller's deadline (less a margin to
 * answer in) and by its configured timeout. Snapshots do not queue behind them.
 *
 * <p>Thread-safe.
 */
final class AdminService extends AdminServiceGrpc.AdminServiceImplBase implements AutoCloseable {
  /** Admin requests waiting behind the one running; more get RECONFIGURATION_IN_PROGRESS. */
  static final int QUEUED_MAX = 8;
  /** Time kept back from the caller's deadline, so the answer arrives before it. */
  private static final long ANSWER_MARGIN_MS = 1000;
  /** Bound on taking a snapshot (a RocksDB checkpoint: hard links, normally well under a second). */
  private static final long SNAPSHOT_TIMEOUT_MS_MAX = 60_000;

  private final SluiceNode node;
  private final ThreadPoolExecutor executor;

  AdminService(SluiceNode node) {
    this.node = node;
    this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUED_MAX), r -> {
      Thread t = new Thread(r, "sluice-" + node.id() + "-admin");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void addNode(AddNodeRequest request, StreamObserver<AddNodeResponse> observer) {
    run(observer, node.config().getLong(NodeConfig.MEMBERSHIP_CATCHUP_TIMEOUT_MS), deadline -> AddNodeResponse.newBuilder()
        .setCluster(node.membership().add(request.getNodeId(), request.getRaftAddress(), deadline)).build());
  }

  @Override
  public void removeNode(RemoveNodeRequest request, StreamObserver<RemoveNodeResponse> observer) {
    // Removing the leader hands leadership over first; then one configuration entry commits.
    long capMs = node.config().getLong(NodeConfig.LEADER_TRANSFER_TIMEOUT_MS)
        + node.config().getLong(NodeConfig.COMMIT_TIMEOUT_MS);
    run(observer, capMs, deadline -> RemoveNodeResponse.newBuilder()
        .setCluster(node.membership().remove(request.getNodeId(), deadline)).build());
  }

  @Override
  public void transferLeader(TransferLeaderRequest request, StreamObserver<TransferLeaderResponse> observer) {
    run(observer, node.config().getLong(NodeConfig.LEADER_TRANSFER_TIMEOUT_MS), deadline -> TransferLeaderResponse.newBuilder()
        .setLeaderId(node.membership().transferLeader(request.getNodeId(), deadline)).build());
  }

  @Override
  public void takeSnapshot(TakeSnapshotRequest request, StreamObserver<TakeSnapshotResponse> observer) {
    long timeoutMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos(SNAPSHOT_TIMEOUT_MS_MAX) - System.nanoTime());
    node.membership().takeSnapshot(Math.max(1, timeoutMs)).whenComplete((index, e) -> Replies.complete(observer,
        e != null ? null : TakeSnapshotResponse.newBuilder().setNodeId(node.id()).setSnapshotIndex(index).build(), e));
  }

  private <T> void run(StreamObserver<T> observer, long capMs, LongFunction<T> operation) {
    long deadline = deadlineNanos(capMs);
    try {
      executor.execute(() -> {
        if (System.nanoTime() >= deadline) {
          Replies.fail(observer, Errors.notWritten(ErrorReason.RECONFIGURATION_IN_PROGRESS, "the request waited"
              + " behind other admin requests on node " + node.id() + " until its deadline; nothing was changed"));
          return;
        }
        T value;
        try {
          value = operation.apply(deadline);
        } catch (RuntimeException e) {
          Replies.fail(observer, e);
          return;
        }
        Replies.complete(observer, value, null);
      });
    } catch (RejectedExecutionException e) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.RECONFIGURATION_IN_PROGRESS, "node " + node.id()
          + " already has " + QUEUED_MAX + " admin requests waiting (or is stopping); retry later"));
    }
  }

  /** Now plus {@code capMs}, or the caller's deadline less a margin when that comes first. */
  private static long deadlineNanos(long capMs) {
    long now = System.nanoTime();
    long cap = now + TimeUnit.MILLISECONDS.toNanos(capMs);
    Deadline callerDeadline = Context.current().getDeadline();
    if (callerDeadline == null) {
      return cap;
    }
    long caller = now + callerDeadline.timeRemaining(TimeUnit.NANOSECONDS) - TimeUnit.MILLISECONDS.toNanos(ANSWER_MARGIN_MS);
    return Math.min(cap, caller);
  }

  /** Stops the admin thread (interrupting a change that waits); called when the node stops. */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
