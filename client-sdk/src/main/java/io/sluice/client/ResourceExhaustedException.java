package io.sluice.client;

import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;

/**
 * The server is over a limit (RESOURCE_EXHAUSTED): DISK_FULL (not retriable: it lasts until
 * space is freed), TOO_MANY_REQUESTS or QUOTA_EXCEEDED (retriable after a backoff; for a quota
 * the server says how long, {@link #retryAfter()}), or a count limit such as TOO_MANY_TOPICS,
 * TOO_MANY_PARTITIONS, TOO_MANY_GROUPS (not retriable until something is deleted). Thread-safe.
 */
public class ResourceExhaustedException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /** The server's retry delay (google.rpc.RetryInfo), or null. */
  private final Duration retryAfter;

  /**
   * @param message what was refused and why
   * @param reason "DISK_FULL", "TOO_MANY_REQUESTS", "QUOTA_EXCEEDED", …
   * @param writeOutcome what is known about the write
   * @param cause underlying cause, or null
   */
  public ResourceExhaustedException(String message, String reason, WriteOutcome writeOutcome, Throwable cause) {
    this(message, reason, writeOutcome, null, cause);
  }

  /**
   * @param message what was refused and why
   * @param reason "DISK_FULL", "TOO_MANY_REQUESTS", "QUOTA_EXCEEDED", …
   * @param writeOutcome what is known about the write
   * @param retryAfter how long the server asked the client to wait (google.rpc.RetryInfo), or null
   * @param cause underlying cause, or null
   */
  public ResourceExhaustedException(String message, String reason, WriteOutcome writeOutcome, Duration retryAfter,
      Throwable cause) {
    super(message, Status.Code.RESOURCE_EXHAUSTED, reason, writeOutcome,
        ("TOO_MANY_REQUESTS".equals(reason) || "QUOTA_EXCEEDED".equals(reason)) && writeOutcome != WriteOutcome.UNKNOWN,
        cause);
    this.retryAfter = retryAfter;
  }

  /**
   * How long the server asked the client to wait before retrying (its google.rpc.RetryInfo; sent with
   * QUOTA_EXCEEDED), or empty when it did not say. The SDK's producer waits at least this long.
   *
   * @return the server's retry delay, if it gave one
   */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
