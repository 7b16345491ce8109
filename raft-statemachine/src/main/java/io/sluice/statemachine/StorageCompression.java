package io.sluice.statemachine;

import org.rocksdb.CompressionType;

/**
 * How the state database compresses the files it writes (flushes and compactions). Only the
 * bytes on disk change: stored values, snapshots and the Raft log are the same with each, and a
 * database written with one is read with any other (each file records its own compression).
 */
public enum StorageCompression {
  /** No compression: the least CPU, as Kafka does (record batches are compressed by the client, if at all). */
  NONE(CompressionType.NO_COMPRESSION),
  /** LZ4 on every level. */
  LZ4(CompressionType.LZ4_COMPRESSION),
  /** Zstandard on every level: smaller files than LZ4 for more CPU. */
  ZSTD(CompressionType.ZSTD_COMPRESSION);

  final CompressionType rocksDb;

  StorageCompression(CompressionType rocksDb) {
    this.rocksDb = rocksDb;
  }

  /** The value as written in configuration: {@code none}, {@code lz4}, {@code zstd}. */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses {@link #configName()}; throws IllegalArgumentException naming the accepted values. */
  public static StorageCompression fromConfig(String value) {
    for (StorageCompression c : values()) {
      if (c.configName().equals(value)) {
        return c;
      }
    }
    throw new IllegalArgumentException("must be none, lz4 or zstd, got '" + value + "'");
  }
}
