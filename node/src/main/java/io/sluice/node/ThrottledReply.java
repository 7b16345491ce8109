package io.sluice.node;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ErrorReason;
import io.sluice.node.quota.Quotas;
import io.sluice.node.security.Principal;
import io.sluice.protocol.SluiceErrors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A unary call's answer held back until {@code releaseAtNanos} (a quota throttle): the response, or
 * the error, is passed on then, from {@code scheduler}. Memory held is one response per throttled
 * call, and calls are bounded by connections × grpc.connection.calls.max.
 *
 * <p>Thread-safety: gRPC calls onNext then onCompleted (or onError) from one thread at a time; the
 * release runs once, on the scheduler, after both.
 */
final class ThrottledReply<T> implements StreamObserver<T> {
  private final StreamObserver<T> out;
  private final long releaseAtNanos;
  private final ScheduledExecutorService scheduler;
  private T value;

  private ThrottledReply(StreamObserver<T> out, long releaseAtNanos, ScheduledExecutorService scheduler) {
    this.out = out;
    this.releaseAtNanos = releaseAtNanos;
    this.scheduler = scheduler;
  }

  /** {@code out} itself when there is nothing to wait for, else a wrapper that delays the answer. */
  static <T> StreamObserver<T> of(StreamObserver<T> out, long delayNanos, ScheduledExecutorService scheduler) {
    return delayNanos <= 0 ? out : new ThrottledReply<>(out, System.nanoTime() + delayNanos, scheduler);
  }

  @Override
  public void onNext(T v) {
    value = v;
  }

  @Override
  public void onCompleted() {
    T v = value;
    release(() -> {
      if (v != null) {
        out.onNext(v);
      }
      out.onCompleted();
    });
  }

  @Override
  public void onError(Throwable t) {
    release(() -> out.onError(t));
  }

  private void release(Runnable answer) {
    long remaining = releaseAtNanos - System.nanoTime();
    if (remaining <= 0) {
      answer.run();
      return;
    }
    try {
      scheduler.schedule(() -> {
        try {
          answer.run();
        } catch (RuntimeException e) {
          // The call was cancelled meanwhile: nothing left to answer.
        }
      }, remaining, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      answer.run(); // the node is stopping: answer now rather than never
    }
  }

  /**
   * RESOURCE_EXHAUSTED / QUOTA_EXCEEDED with a google.rpc.RetryInfo of {@code retryNanos}: the
   * principal's traffic is over its quota by more than quota.throttle.max.ms. Nothing written.
   */
  static StatusRuntimeException quotaExceeded(String nodeId, Principal principal, Quotas.Kind kind, long rate,
      long retryNanos) {
    long ms = TimeUnit.NANOSECONDS.toMillis(retryNanos);
    ErrorInfo info = ErrorInfo.newBuilder()
        .setReason(ErrorReason.QUOTA_EXCEEDED.name())
        .setDomain(SluiceErrors.DOMAIN)
        .putMetadata(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN)
        .build();
    RetryInfo retry = RetryInfo.newBuilder()
        .setRetryDelay(Duration.newBuilder().setSeconds(retryNanos / 1_000_000_000L)
            .setNanos((int) (retryNanos % 1_000_000_000L)))
        .build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
        .setMessage("principal '" + principal.name() + "' is over its " + kind.name().toLowerCase() + " quota of "
            + rate + " bytes/s on node " + nodeId + " by more than quota.throttle.max.ms; retry in " + ms + " ms")
        .addDetails(Any.pack(info))
        .addDetails(Any.pack(retry))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }
}
