package io.sluice.node;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandError;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes unary calls, turning any failure into a status that says what went wrong. */
final class Replies {
  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  static <T> void complete(StreamObserver<T> observer, T value, Throwable error) {
    if (error == null) {
      observer.onNext(value);
      observer.onCompleted();
    } else {
      fail(observer, error);
    }
  }

  static void fail(StreamObserver<?> observer, Throwable error) {
    Throwable e = error;
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof StatusRuntimeException s) {
      observer.onError(s);
    } else {
      LOG.error("unexpected failure serving a request", e);
      observer.onError(Status.INTERNAL.withDescription("internal error: " + e).asRuntimeException());
    }
  }

  /**
   * Proposes {@code command} and answers the call: a refusal or a failed apply becomes the error
   * status; a success is turned into the response by {@code toResponse} (which may throw a
   * StatusRuntimeException of its own).
   */
  static <T> void propose(SluiceNode node, Command command, StreamObserver<T> observer,
      Function<Proposer.Outcome, T> toResponse) {
    reply(node.proposer().propose(command), observer, toResponse);
  }

  /** Answers the call once {@code proposed} completes, as {@link #propose} does. */
  static <T> void reply(CompletableFuture<Proposer.Outcome> proposed, StreamObserver<T> observer,
      Function<Proposer.Outcome, T> toResponse) {
    proposed.whenComplete((outcome, error) -> {
      if (error != null) {
        fail(observer, error);
      } else if (outcome.result().hasError()) {
        fail(observer, fromCommandError(outcome.result().getError()));
      } else {
        T response;
        try {
          response = toResponse.apply(outcome);
        } catch (RuntimeException e) {
          fail(observer, e);
          return;
        }
        complete(observer, response, null);
      }
    });
  }

  /** A command that applied as a no-op (deterministic failure): certainly not written. */
  static StatusRuntimeException fromCommandError(CommandError error) {
    ErrorReason reason;
    try {
      reason = ErrorReason.valueOf(error.getReason());
    } catch (IllegalArgumentException e) {
      reason = ErrorReason.INVALID_REQUEST;
    }
    return Errors.notWritten(reason, error.getMessage());
  }
}
