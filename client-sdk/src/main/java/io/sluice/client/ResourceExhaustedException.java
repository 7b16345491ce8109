package io.sluice.client;

import io.grpc.Status;

/**
 * The server is over a limit (RESOURCE_EXHAUSTED): DISK_FULL (not retriable: it lasts until
 * space is freed) or TOO_MANY_REQUESTS (retriable after a backoff). Thread-safe.
 */
public class ResourceExhaustedException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public ResourceExhaustedException(String message, String reason, WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.RESOURCE_EXHAUSTED, reason, writeOutcome,
        "TOO_MANY_REQUESTS".equals(reason) && writeOutcome != WriteOutcome.UNKNOWN, cause);
  }
}
