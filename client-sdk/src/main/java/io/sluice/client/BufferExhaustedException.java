package io.sluice.client;

/**
 * The producer's buffer (ProducerConfig.bufferBytesMax) stayed full for longer than
 * ProducerConfig.maxBlock. The record was not written; sending it later may succeed. Thread-safe.
 */
public class BufferExhaustedException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /** @param message what was refused and why */
  public BufferExhaustedException(String message) {
    super(message, null, null, WriteOutcome.NOT_WRITTEN, true, null);
  }
}
