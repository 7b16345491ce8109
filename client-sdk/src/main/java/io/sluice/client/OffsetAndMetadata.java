package io.sluice.client;

import java.util.Objects;

/**
 * An offset to commit for a partition: the offset of the next record to consume (last processed
 * offset + 1), with free-form metadata (at most 1 KiB as UTF-8) stored next to it. Immutable.
 *
 * @param offset   at least 0
 * @param metadata not null; "" for none
 */
public record OffsetAndMetadata(long offset, String metadata) {
  public OffsetAndMetadata {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative, got " + offset);
    }
    Objects.requireNonNull(metadata, "metadata");
  }

  /** An offset without metadata. */
  public static OffsetAndMetadata of(long offset) {
    return new OffsetAndMetadata(offset, "");
  }
}
