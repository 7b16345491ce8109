package io.sluice.protocol;

/** A record or a batch is larger than the configured maximum. */
public final class RecordTooLargeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RecordTooLargeException(String message) {
    super(message);
  }
}
