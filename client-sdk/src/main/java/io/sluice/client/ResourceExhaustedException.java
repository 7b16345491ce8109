package io.sluice.client;

import io.grpc.Status;

/**
 * The server is over a limit (RESOURCE_EXHAUSTED): DISK_FULL (not retriable: it lasts until
 * space is freed) or TOO_MANY_REQUESTS (retriable after a backoff). Thread-safe.
 */
public class ResourceExhaustedException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what was refused and why
   * @param reason "DISK_FULL" or "TOO_MANY_REQUESTS"
   * @param writeOutcome what is known about the write
   * @param cause underlying cause, or null
   */
  public ResourceExhaustedException(String message, String reason, WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.RESOURCE_EXHAUSTED, reason, writeOutcome,
        "TOO_MANY_REQUESTS".equals(reason) && writeOutcome != WriteOutcome.UNKNOWN, cause);
  }
}
