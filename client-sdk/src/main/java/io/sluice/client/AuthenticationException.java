package io.sluice.client;

import io.grpc.Status;

/**
 * The cluster did not accept the client's credentials (UNAUTHENTICATED / AUTHENTICATION_FAILED):
 * no token or certificate was sent while the cluster requires one, or the token is unknown or was
 * revoked (an open consumer stream ends with it when its token is revoked). Not written; not
 * retriable with the same credentials. Thread-safe.
 */
public class AuthenticationException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the SDK does, from the server's error.
   *
   * @param message      what was refused, for people
   * @param reason       the server's ErrorReason name, or null when the answer carried none
   * @param writeOutcome NOT_WRITTEN, or NOT_A_WRITE for reads
   * @param cause        the underlying gRPC exception, or null
   */
  public AuthenticationException(String message, String reason, WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.UNAUTHENTICATED, reason, writeOutcome, false, cause);
  }
}
