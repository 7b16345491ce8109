package io.sluice.client;

import io.grpc.Status;

/**
 * A write may or may not have been committed: the request left the client and no definite answer
 * came back (COMMIT_TIMEOUT, connection lost mid-call, deadline exceeded). Retrying it yourself
 * could store the records twice. An idempotent {@link Producer} retries these internally and
 * reports one only when it cannot settle the outcome (see {@link Producer}); without idempotence,
 * and for admin writes, the SDK never retries them. {@link #writeOutcome()} is UNKNOWN;
 * {@link #retriable()} is false. Thread-safe.
 */
public class IndeterminateException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what was sent and what is known
   * @param cause underlying cause, or null
   * @param code   gRPC status code seen (UNAVAILABLE, DEADLINE_EXCEEDED, ...), or null when the
   *               client gave up (e.g. closed) while the request was in flight
   * @param reason ErrorReason name such as "COMMIT_TIMEOUT", or null
   */
  public IndeterminateException(String message, Status.Code code, String reason, Throwable cause) {
    super(message, code, reason, WriteOutcome.UNKNOWN, false, cause);
  }
}
