package io.sluice.client;

import io.grpc.Status;

/**
 * The caller's principal may not do this (PERMISSION_DENIED / AUTHORIZATION_FAILED); the message
 * names the principal, the operation and the resource, e.g. "alice may not produce to topic
 * orders". Not written; not retriable until an administrator adds an ACL. Thread-safe.
 */
public class AuthorizationException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the SDK does, from the server's error.
   *
   * @param message      what was refused, for people
   * @param reason       the server's ErrorReason name, or null when the answer carried none
   * @param writeOutcome NOT_WRITTEN, or NOT_A_WRITE for reads
   * @param cause        the underlying gRPC exception, or null
   */
  public AuthorizationException(String message, String reason, WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.PERMISSION_DENIED, reason, writeOutcome, false, cause);
  }
}
