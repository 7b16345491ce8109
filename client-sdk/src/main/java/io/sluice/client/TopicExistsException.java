package io.sluice.client;

import io.grpc.Status;

/** A topic with this name already exists (ALREADY_EXISTS). Not written; not retriable. Thread-safe. */
public class TopicExistsException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which topic
   * @param cause underlying cause, or null
   */
  public TopicExistsException(String message, Throwable cause) {
    super(message, Status.Code.ALREADY_EXISTS, "TOPIC_EXISTS", WriteOutcome.NOT_WRITTEN, false, cause);
  }
}
