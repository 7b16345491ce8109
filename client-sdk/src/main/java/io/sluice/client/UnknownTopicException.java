package io.sluice.client;

import io.grpc.Status;

/** The topic does not exist (NOT_FOUND, reason UNKNOWN_TOPIC). Not retriable. Thread-safe. */
public class UnknownTopicException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which topic
   * @param writeOutcome NOT_WRITTEN for writes, NOT_A_WRITE otherwise
   * @param cause underlying cause, or null
   */
  public UnknownTopicException(String message, WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.NOT_FOUND, "UNKNOWN_TOPIC", writeOutcome, false, cause);
  }
}
