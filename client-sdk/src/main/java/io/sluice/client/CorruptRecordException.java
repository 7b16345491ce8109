package io.sluice.client;

/**
 * A fetched record batch failed its CRC or is malformed; detected by the consumer. The
 * consumer's position is not moved past the bad batch. Not retriable. Thread-safe.
 */
public class CorruptRecordException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which batch and what is wrong with it
   * @param cause the codec's exception, or null
   */
  public CorruptRecordException(String message, Throwable cause) {
    super(message, null, null, WriteOutcome.NOT_A_WRITE, false, cause);
  }
}
