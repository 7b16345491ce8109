package io.sluice.client;

import io.grpc.Status;

/**
 * The offset asked for is below the partition's log start offset: those records were deleted
 * (OUT_OF_RANGE). Seek to a valid offset (e.g. seekToBeginning). Not retriable. Thread-safe.
 */
public class OffsetOutOfRangeException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message which offset and the partition's range
   * @param cause underlying cause, or null
   */
  public OffsetOutOfRangeException(String message, Throwable cause) {
    super(message, Status.Code.OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE", WriteOutcome.NOT_A_WRITE, false, cause);
  }
}
