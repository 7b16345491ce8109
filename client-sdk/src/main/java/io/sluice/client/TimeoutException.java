package io.sluice.client;

import io.grpc.Status;

/**
 * A deadline passed with no answer, and nothing was written: a read timed out, or a write timed
 * out before its request left the client (e.g. no leader was found within the delivery timeout).
 * A write whose request was sent and not answered is an {@link IndeterminateException} instead.
 * Retriable. Thread-safe.
 */
public class TimeoutException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what timed out and what is known
   * @param cause the last error seen, or null
   * @param code         DEADLINE_EXCEEDED when gRPC reported it, null for a client-side deadline
   * @param writeOutcome NOT_WRITTEN for writes, NOT_A_WRITE for reads
   */
  public TimeoutException(String message, Status.Code code, WriteOutcome writeOutcome, Throwable cause) {
    super(message, code, null, checked(writeOutcome), true, cause);
  }

  private static WriteOutcome checked(WriteOutcome outcome) {
    if (outcome == WriteOutcome.UNKNOWN) {
      throw new IllegalArgumentException("an unknown write outcome is an IndeterminateException");
    }
    return outcome;
  }
}
