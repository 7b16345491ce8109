package io.sluice.client;

import io.grpc.Status;
import java.util.Objects;

/**
 * Base of every error the SDK reports. Says what is known about the failed operation:
 * {@link #writeOutcome()} (rejected, unknown, or not a write), whether a retry of the same
 * operation may succeed ({@link #retriable()}), the server's machine-readable {@link #reason()}
 * and the gRPC {@link #code()}.
 *
 * <p>Futures returned by the SDK complete exceptionally with these exceptions directly; the
 * SDK's blocking methods throw them unwrapped. Immutable and thread-safe.
 */
public class SluiceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Status.Code code;
  /** The ErrorReason name, or null. */
  private final String reason;
  /** What is known about the write. */
  private final WriteOutcome writeOutcome;
  /** Whether a retry may succeed without duplicating a write. */
  private final boolean retriable;

  /**
   * @param message      what failed and what is known
   * @param code         gRPC status code of the server's answer, or null for a client-side error
   * @param reason       the server's ErrorReason name (e.g. "NO_LEADER"), or null
   * @param writeOutcome what is known about the write; not null
   * @param retriable    true when retrying the same operation may succeed without duplicating it
   * @param cause        underlying cause, or null
   */
  public SluiceException(String message, Status.Code code, String reason, WriteOutcome writeOutcome,
      boolean retriable, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.reason = reason;
    this.writeOutcome = Objects.requireNonNull(writeOutcome, "writeOutcome");
    this.retriable = retriable;
  }

  /**
   * What is known about the write: NOT_WRITTEN, UNKNOWN, or NOT_A_WRITE for reads.
   *
   * @return what is known about the write: NOT_WRITTEN, UNKNOWN, or NOT_A_WRITE for reads
   */
  public WriteOutcome writeOutcome() {
    return writeOutcome;
  }

  /**
   * True when the same operation may succeed if retried and retrying cannot duplicate a write
   * (never true when {@link #writeOutcome()} is UNKNOWN).
   *
   * @return true when the same operation may succeed if retried and retrying cannot duplicate a write (never true when {@link #writeOutcome()} is UNKNOWN)
   */
  public boolean retriable() {
    return retriable;
  }

  /**
   * The ErrorReason name from the server's google.rpc.ErrorInfo, or null when there was none.
   *
   * @return the ErrorReason name from the server's google.rpc.ErrorInfo, or null when there was none
   */
  public String reason() {
    return reason;
  }

  /**
   * The gRPC status code of the failure, or null when the error arose in the client.
   *
   * @return the gRPC status code of the failure, or null when the error arose in the client
   */
  public Status.Code code() {
    return code;
  }

  @Override
  public String toString() {
    return getClass().getName() + ": " + getMessage() + " [code=" + code + ", reason=" + reason
        + ", writeOutcome=" + writeOutcome + ", retriable=" + retriable + "]";
  }
}
