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
  /**
   * Checks the components.
   *
   * @param offset   the offset of the next record to consume; at least 0
   * @param metadata free-form text stored with the offset; not null, "" for none
   * @throws IllegalArgumentException when {@code offset} is negative
   * @throws NullPointerException     when {@code metadata} is null
   */
  public OffsetAndMetadata {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative, got " + offset);
    }
    Objects.requireNonNull(metadata, "metadata");
  }

  /**
   * An offset without metadata.
   *
   * @param offset the offset of the next record to consume; at least 0
   * @return the offset with metadata ""
   */
  public static OffsetAndMetadata of(long offset) {
    return new OffsetAndMetadata(offset, "");
  }
}
