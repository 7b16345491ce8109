package io.sluice.client;

import io.grpc.Status;

/**
 * The request is malformed (INVALID_ARGUMENT): bad topic name, partition, partition count,
 * offset, a record too large, a corrupt batch. Raised by the server, or early by the client
 * (then {@link #code()} is null). Not retriable. Thread-safe.
 */
public class InvalidRequestException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what is wrong
   * @param writeOutcome NOT_WRITTEN for writes, NOT_A_WRITE otherwise
   * @param cause underlying cause, or null
   * @param code   INVALID_ARGUMENT when the server answered, null when the client checked
   * @param reason ErrorReason name such as "INVALID_TOPIC_NAME", or null
   */
  public InvalidRequestException(String message, Status.Code code, String reason,
      WriteOutcome writeOutcome, Throwable cause) {
    super(message, code, reason, writeOutcome, false, cause);
  }
}
