package io.sluice.node;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.node.quota.Quotas;
import io.sluice.node.security.Principal;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import io.sluice.statemachine.LogCore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One streaming consumer: pushes each partition's batches in offset order as they are applied,
 * never more than the client's outstanding credit (plus at most one batch, so a batch larger
 * than the credit still moves), and only while the transport is ready for more
 * ({@code isReady}): a client that grants credit but does not read holds at most one message
 * (up to {@value #READ_BYTES_MAX} bytes, or one larger batch) queued on the node, beyond what
 * HTTP/2 flow control lets into the socket. It resumes from the transport's onReady.
 *
 * <p>Thread-safety: requests arrive on gRPC threads; the pump runs on {@code executor}, one run at
 * a time ({@link #pumping}); a run that finds nothing to do waits on the next applied entry or
 * the next credit grant, whichever comes first.
 */
final class Subscription implements StreamObserver<SubscribeRequest> {
  private static final int READ_BYTES_MAX = 1 << 20;

  private final SluiceNode node;
  private final ServerCallStreamObserver<SubscribeResponse> out;
  private final Executor executor;
  private final AtomicLong creditBytes = new AtomicLong();
  private final AtomicBoolean pumping = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private volatile List<Position> positions;
  private volatile boolean done;

  private static final class Position {
    final String topic;
    final int partition;
    long offset;

    Position(String topic, int partition, long offset) {
      this.topic = topic;
      this.partition = partition;
      this.offset = offset;
    }
  }

  /** Runs once when the stream ends, however it ends (frees its place under subscribe.streams.max). */
  private final Runnable onEnd;
  private final AtomicBoolean ended = new AtomicBoolean();

  private final AtomicLong bytesSent;
  /** Who opened the stream (its fetch quota and its rights), captured on the calling gRPC thread. */
  private final Principal principal = Principal.current();
  /** The token it was opened with (null: a certificate or no authentication), re-checked while it runs. */
  private final byte[] tokenSha256 = io.sluice.node.security.Authenticator.TOKEN_SHA256_KEY.get();
  /** A resume is scheduled for when the principal is back within its fetch quota (sends paused meanwhile). */
  private final AtomicBoolean throttled = new AtomicBoolean();

  Subscription(SluiceNode node, StreamObserver<SubscribeResponse> out, Executor executor, Runnable onEnd,
      AtomicLong bytesSent) {
    this.node = node;
    this.bytesSent = bytesSent;
    this.out = (ServerCallStreamObserver<SubscribeResponse>) out;
    this.executor = executor;
    this.onEnd = onEnd;
    this.out.setOnCancelHandler(this::end);
    this.out.setOnReadyHandler(() -> {
      if (!done && positions != null) {
        schedule();
      }
    });
  }

  private void end() {
    done = true;
    if (ended.compareAndSet(false, true)) {
      onEnd.run();
    }
  }

  @Override
  public void onNext(SubscribeRequest request) {
    if (done) {
      return;
    }
    if (positions == null) {
      try {
        positions = start(request);
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
    } else if (request.getPartitionsCount() > 0) {
      fail(Errors.notWritten(ErrorReason.INVALID_REQUEST, "only the first Subscribe request may name partitions"));
      return;
    }
    if (request.getCreditBytes() < 0) {
      fail(Errors.notWritten(ErrorReason.INVALID_REQUEST, "credit_bytes is negative"));
      return;
    }
    creditBytes.addAndGet(request.getCreditBytes());
    schedule();
  }

  private List<Position> start(SubscribeRequest request) {
    if (request.getPartitionsCount() == 0) {
      throw Errors.notWritten(ErrorReason.INVALID_REQUEST, "the first Subscribe request names no partitions");
    }
    List<Position> list = new ArrayList<>();
    for (PartitionFetch p : request.getPartitionsList()) {
      node.authorizer().check(principal, io.sluice.node.security.Authorizer.Kind.TOPIC, p.getTopic(),
          io.sluice.api.v1.AclOperation.ACL_OPERATION_CONSUME, SUBSCRIBE_METHOD, false);
      int partitions = node.core().topic(p.getTopic())
          .orElseThrow(() -> Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, "topic '" + p.getTopic() + "' does not exist"))
          .getPartitions();
      if (p.getPartition() < 0 || p.getPartition() >= partitions) {
        throw Errors.notWritten(ErrorReason.UNKNOWN_PARTITION, "topic '" + p.getTopic() + "' has no partition " + p.getPartition());
      }
      if (p.getOffset() < 0) {
        throw Errors.notWritten(ErrorReason.INVALID_OFFSET, "offset " + p.getOffset() + " is negative");
      }
      list.add(new Position(p.getTopic(), p.getPartition(), p.getOffset()));
    }
    return List.copyOf(list);
  }

  private static final String SUBSCRIBE_METHOD =
      io.sluice.api.v1.FetchServiceGrpc.getSubscribeMethod().getFullMethodName();

  /**
   * Ends the stream with UNAUTHENTICATED if its token was revoked since it opened, or with
   * PERMISSION_DENIED if its principal may no longer consume one of its topics. Called
   * periodically (auth.recheck.interval.ms) from the node's scheduler; any thread.
   */
  void recheck() {
    if (done) {
      return;
    }
    if (tokenSha256 != null && !node.authenticator().stillValid(tokenSha256)) {
      fail(io.sluice.node.security.AuthErrors.unauthenticated("the token this stream authenticated with was"
          + " revoked"));
      return;
    }
    List<Position> ps = positions;
    if (ps == null) {
      return;
    }
    for (Position p : ps) {
      if (!node.authorizer().allowed(principal, io.sluice.node.security.Authorizer.Kind.TOPIC, p.topic,
          io.sluice.api.v1.AclOperation.ACL_OPERATION_CONSUME)) {
        try {
          node.authorizer().check(principal, io.sluice.node.security.Authorizer.Kind.TOPIC, p.topic,
              io.sluice.api.v1.AclOperation.ACL_OPERATION_CONSUME, SUBSCRIBE_METHOD, false);
        } catch (RuntimeException e) {
          fail(e);
        }
        return;
      }
    }
  }

  private void schedule() {
    again.set(true);
    if (pumping.compareAndSet(false, true)) {
      executor.execute(this::pump);
    }
  }

  private void pump() {
    try {
      while (again.getAndSet(false) && !done) {
        CompletableFuture<Void> applied = node.applySignal().next();
        if (sendWhatIsReady()) {
          again.set(true); // more may be ready; a run with no credit left stops until the next grant
        } else if (creditBytes.get() > 0 && !done && out.isReady() && !throttled.get()) {
          // Nothing new yet: run again at the next applied entry (or credit grant).
          applied.thenRun(this::schedule);
        }
      }
    } catch (RuntimeException e) {
      fail(e);
    } finally {
      pumping.set(false);
      if (again.get() && !done && pumping.compareAndSet(false, true)) {
        executor.execute(this::pump);
      }
    }
  }

  /** Sends what the credit allows; true if anything was sent. */
  private boolean sendWhatIsReady() {
    boolean sent = false;
    if (throttled.get() || pausedForQuota()) {
      return false; // resumed by the timer pausedForQuota set
    }
    for (Position p : positions) {
      long credit = creditBytes.get();
      if (credit <= 0 || done || !out.isReady()) {
        break; // resumed by the next credit grant, or by onReady once the client reads again
      }
      LogCore.ReadResult r;
      try {
        // Within the fetch quota's tokens too (at least one batch moves): a send cannot overshoot the rate by much.
        long readMax = Math.min(Math.min(credit, READ_BYTES_MAX),
            Math.max(1, node.quotas().availableBytes(principal, Quotas.Kind.FETCH)));
        r = node.core().read(p.topic, p.partition, p.offset, (int) readMax);
      } catch (IllegalArgumentException e) {
        throw Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, "topic '" + p.topic + "' partition " + p.partition
            + " no longer exists");
      }
      if (p.offset < r.logStartOffset()) {
        throw Errors.of(ErrorReason.OFFSET_OUT_OF_RANGE, "offset " + p.offset + " of " + p.topic + "-" + p.partition
            + " is below the log start offset " + r.logStartOffset(),
            Map.of(SluiceErrors.END_OFFSET, Long.toString(r.endOffset())));
      }
      if (r.batches().isEmpty()) {
        continue;
      }
      PartitionData.Builder data = PartitionData.newBuilder().setTopic(p.topic).setPartition(p.partition)
          .setLogStartOffset(r.logStartOffset()).setEndOffset(r.endOffset());
      long bytes = 0;
      for (byte[] b : r.batches()) {
        data.addBatches(UnsafeByteOperations.unsafeWrap(b));
        bytes += b.length;
        p.offset = RecordBatch.lastOffset(ByteBuffer.wrap(b)) + 1;
      }
      creditBytes.addAndGet(-bytes);
      bytesSent.addAndGet(bytes);
      node.quotas().record(principal, Quotas.Kind.FETCH, bytes);
      synchronized (out) {
        if (done) {
          return sent; // ended meanwhile (revoked, cancelled): nothing more may be sent
        }
        out.onNext(SubscribeResponse.newBuilder().setData(data).build());
      }
      sent = true;
    }
    return sent;
  }

  /**
   * Fetch quota: while the principal is over its rate, sends pause (nothing is read or queued) and
   * a timer resumes them once the excess is paid back. True if paused.
   */
  private boolean pausedForQuota() {
    long debtNanos = node.quotas().debtNanos(principal, Quotas.Kind.FETCH);
    if (debtNanos <= 0) {
      return false;
    }
    if (throttled.compareAndSet(false, true)) {
      node.quotas().notePause(Quotas.Kind.FETCH, debtNanos);
      try {
        node.throttler().schedule(() -> {
          throttled.set(false);
          if (!done) {
            schedule();
          }
        }, debtNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        throttled.set(false); // the node is stopping
      }
    }
    return true;
  }

  private void fail(Throwable e) {
    if (done) {
      return;
    }
    end();
    synchronized (out) {
      Replies.fail(out, e);
    }
  }

  @Override
  public void onError(Throwable t) {
    end();
  }

  @Override
  public void onCompleted() {
    if (!done) {
      end();
      synchronized (out) {
        out.onCompleted();
      }
    }
  }
}
