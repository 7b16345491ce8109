package io.sluice.protocol;

/** A record batch failed its CRC or does not follow the layout of {@link RecordBatch}. */
public final class CorruptBatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CorruptBatchException(String message) {
    super(message);
  }
}
