package io.sluice.client;

import java.time.Duration;

/**
 * Settings of a {@link Consumer}. Immutable and thread-safe; build with {@link #builder()}.
 */
public final class ConsumerConfig {
  /** Default of fetchMaxBytes: 4 MiB. */
  public static final int DEFAULT_FETCH_MAX_BYTES = 4 * 1024 * 1024;
  /** Default of partitionFetchMaxBytes: 1 MiB. */
  public static final int DEFAULT_PARTITION_FETCH_MAX_BYTES = 1024 * 1024;
  /** Default of fetchMaxWait: 500 ms. */
  public static final Duration DEFAULT_FETCH_MAX_WAIT = Duration.ofMillis(500);

  private final int fetchMaxBytes;
  private final int partitionFetchMaxBytes;
  private final Duration fetchMaxWait;
  private final boolean streaming;

  private ConsumerConfig(Builder b) {
    this.fetchMaxBytes = b.fetchMaxBytes;
    this.partitionFetchMaxBytes = b.partitionFetchMaxBytes;
    this.fetchMaxWait = b.fetchMaxWait;
    this.streaming = b.streaming;
  }

  /**
   * Whether poll reads from a Subscribe stream (the node pushes batches as they are applied, with
   * {@link #fetchMaxBytes()} as the credit) rather than long-poll fetches. Default true; a node
   * without Subscribe makes the consumer fall back to fetches.
   *
   * @return whether poll reads from a Subscribe stream (the node pushes batches as they are applied, with {@link #fetchMaxBytes()} as the credit) rather than long-poll fetches
   */
  public boolean streaming() {
    return streaming;
  }

  /**
   * A builder with every setting at its default.
   *
   * @return this builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The configuration with every setting at its default.
   *
   * @return the configuration with every setting at its default
   */
  public static ConsumerConfig defaults() {
    return builder().build();
  }

  /**
   * Bytes of batches one fetch may return across partitions (at least one batch). Default 4 MiB.
   *
   * @return bytes of batches one fetch may return across partitions (at least one batch)
   */
  public int fetchMaxBytes() {
    return fetchMaxBytes;
  }

  /**
   * Bytes of batches one fetch may return per partition. Default 1 MiB.
   *
   * @return bytes of batches one fetch may return per partition
   */
  public int partitionFetchMaxBytes() {
    return partitionFetchMaxBytes;
  }

  /**
   * How long the server holds a fetch when no partition has new records. Default 500 ms.
   *
   * @return how long the server holds a fetch when no partition has new records
   */
  public Duration fetchMaxWait() {
    return fetchMaxWait;
  }

  @Override
  public String toString() {
    return "ConsumerConfig{fetchMaxBytes=" + fetchMaxBytes + ", partitionFetchMaxBytes="
        + partitionFetchMaxBytes + ", fetchMaxWait=" + fetchMaxWait + ", streaming=" + streaming + "}";
  }

  /** Builds a {@link ConsumerConfig}. Not thread-safe. Setters reject out-of-range values. */
  public static final class Builder {
    private int fetchMaxBytes = DEFAULT_FETCH_MAX_BYTES;
    private int partitionFetchMaxBytes = DEFAULT_PARTITION_FETCH_MAX_BYTES;
    private Duration fetchMaxWait = DEFAULT_FETCH_MAX_WAIT;
    private boolean streaming = true;

    private Builder() {}

    /**
     * Stream (push) instead of long-poll fetches. Default true.
     *
     * @param streaming the new value (see above)
     * @return this builder
     */
    public Builder streaming(boolean streaming) {
      this.streaming = streaming;
      return this;
    }

    /**
     * Bytes of batches per fetch, across partitions; at least 1. Default 4 MiB.
     *
     * @param fetchMaxBytes the new value (see above)
     * @return this builder
     */
    public Builder fetchMaxBytes(int fetchMaxBytes) {
      if (fetchMaxBytes < 1) {
        throw new IllegalArgumentException("fetchMaxBytes must be positive, got " + fetchMaxBytes);
      }
      this.fetchMaxBytes = fetchMaxBytes;
      return this;
    }

    /**
     * Bytes of batches per fetch, per partition; at least 1. Default 1 MiB.
     *
     * @param partitionFetchMaxBytes the new value (see above)
     * @return this builder
     */
    public Builder partitionFetchMaxBytes(int partitionFetchMaxBytes) {
      if (partitionFetchMaxBytes < 1) {
        throw new IllegalArgumentException("partitionFetchMaxBytes must be positive, got " + partitionFetchMaxBytes);
      }
      this.partitionFetchMaxBytes = partitionFetchMaxBytes;
      return this;
    }

    /**
     * Long-poll wait on the server; zero or more (capped by the server). Default 500 ms.
     *
     * @param fetchMaxWait the new value (see above)
     * @return this builder
     */
    public Builder fetchMaxWait(Duration fetchMaxWait) {
      this.fetchMaxWait = ProducerConfig.nonNegative(fetchMaxWait, "fetchMaxWait");
      if (fetchMaxWait.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("fetchMaxWait is too long: " + fetchMaxWait);
      }
      return this;
    }

    /** @return the configuration */
    public ConsumerConfig build() {
      return new ConsumerConfig(this);
    }
  }
}
