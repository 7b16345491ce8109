package io.sluice.client;

import io.grpc.Status;

/**
 * A consumer-group operation was refused: UNKNOWN_GROUP (no such group), GROUP_NOT_EMPTY (reset or
 * delete while consumers are members), INCONSISTENT_GROUP_PROTOCOL (another assignment strategy
 * than the group's members use). {@link #reason()} says which. Not written (NOT_A_WRITE for reads);
 * not retriable.
 * Thread-safe.
 */
public class GroupException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the SDK does, from the server's error.
   *
   * @param message      what was refused, for people
   * @param code         the gRPC status code of the answer
   * @param reason       UNKNOWN_GROUP, GROUP_NOT_EMPTY or INCONSISTENT_GROUP_PROTOCOL
   * @param writeOutcome NOT_WRITTEN, or NOT_A_WRITE for reads
   * @param cause        the underlying gRPC exception, or null
   */
  public GroupException(String message, Status.Code code, String reason, WriteOutcome writeOutcome, Throwable cause) {
    super(message, code, reason, writeOutcome, false, cause);
  }
}
