package io.sluice.protocol;

import java.util.Locale;

/**
 * How the records section of a {@link RecordBatch} is compressed. The id is stored in bits 0-2 of
 * the batch attributes and follows Kafka's numbering (1 and 2, gzip and snappy in Kafka, are
 * not supported here). Immutable.
 */
public enum CompressionType {
  /** Records stored as encoded. */
  NONE(0),
  /** LZ4 block format (lz4-java): fast, moderate ratio. */
  LZ4(3),
  /** Zstandard frame (zstd-jni, level 3): better ratio, somewhat slower. */
  ZSTD(4);

  private final int id;

  CompressionType(int id) {
    this.id = id;
  }

  /** The codec id stored in the batch attributes. */
  public int id() {
    return id;
  }

  /** The type with codec id {@code id}, or null when there is none. */
  public static CompressionType byId(int id) {
    for (CompressionType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    return null;
  }

  /**
   * Parses {@code none}, {@code lz4} or {@code zstd} (any case).
   *
   * @throws IllegalArgumentException for any other name, saying which are accepted
   */
  public static CompressionType parse(String name) {
    for (CompressionType t : values()) {
      if (t.name().equalsIgnoreCase(name.trim())) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown compression '" + name + "'; use none, lz4 or zstd");
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
