package io.sluice.client;

import io.grpc.Status;

/**
 * No node could serve the request right now (UNAVAILABLE): no leader (NO_LEADER), a node
 * starting or stopping (NODE_NOT_READY), or a node that could not be reached before the request
 * was sent. Never used when a write may have happened (see {@link IndeterminateException}).
 * Retriable. Thread-safe.
 */
public class UnavailableException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param writeOutcome NOT_WRITTEN for writes, NOT_A_WRITE for reads
   *
   * @param message what failed
   * @param reason ErrorReason name such as "NO_LEADER", or null
   * @param cause underlying cause, or null
   */
  public UnavailableException(String message, String reason, WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.UNAVAILABLE, reason, checked(writeOutcome), true, cause);
  }

  private static WriteOutcome checked(WriteOutcome outcome) {
    if (outcome == WriteOutcome.UNKNOWN) {
      throw new IllegalArgumentException("an unknown write outcome is an IndeterminateException");
    }
    return outcome;
  }
}
