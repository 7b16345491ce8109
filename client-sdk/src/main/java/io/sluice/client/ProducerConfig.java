package io.sluice.client;

import io.sluice.protocol.CompressionType;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link Producer}. Immutable and thread-safe; build with {@link #builder()}.
 * Every setting has a default, listed on its builder method and as a {@code DEFAULT_} constant.
 */
public final class ProducerConfig {
  /** Default of linger: 5 ms. */
  public static final Duration DEFAULT_LINGER = Duration.ofMillis(5);
  /** Default of batchSizeBytesMax: 64 KiB. */
  public static final int DEFAULT_BATCH_SIZE_BYTES_MAX = 64 * 1024;
  /** Default of deliveryTimeout: 30 s. */
  public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(30);
  /** Default of retryBackoff: 100 ms. */
  public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofMillis(100);
  /** Cap of the doubling retry backoff (unless retryBackoff itself is larger). */
  public static final Duration RETRY_BACKOFF_MAX = Duration.ofSeconds(1);
  /** Default of maxInFlightRequests: 5. */
  public static final int DEFAULT_MAX_IN_FLIGHT_REQUESTS = 5;
  /** Default of {@link Builder#maxInFlightBatches(int)}: 5. */
  public static final int DEFAULT_MAX_IN_FLIGHT_BATCHES = 5;
  /**
   * Largest {@link Builder#maxInFlightBatches(int)}: the leader remembers the last 5 sequence
   * ranges per producer and partition, so a retry of any batch in flight is still recognised.
   */
  public static final int MAX_IN_FLIGHT_BATCHES_MAX = 5;
  /** Default of bufferBytesMax: 32 MiB. */
  public static final long DEFAULT_BUFFER_BYTES_MAX = 32L * 1024 * 1024;
  /** Default of maxBlock: 60 s. */
  public static final Duration DEFAULT_MAX_BLOCK = Duration.ofSeconds(60);
  /** Default of partitioner: {@link PartitionerKind#DEFAULT}. */
  public static final PartitionerKind DEFAULT_PARTITIONER = PartitionerKind.DEFAULT;
  /** Default of idempotence: true. */
  public static final boolean DEFAULT_IDEMPOTENCE = true;
  /** Default of {@link Builder#compression(CompressionType)}: none. */
  public static final CompressionType DEFAULT_COMPRESSION = CompressionType.NONE;

  private final Duration linger;
  private final int batchSizeBytesMax;
  private final Duration deliveryTimeout;
  private final Duration retryBackoff;
  private final int maxInFlightRequests;
  private final int maxInFlightBatches;
  private final long bufferBytesMax;
  private final Duration maxBlock;
  private final PartitionerKind partitioner;
  private final boolean idempotence;
  private final CompressionType compression;

  private ProducerConfig(Builder b) {
    this.linger = b.linger;
    this.batchSizeBytesMax = b.batchSizeBytesMax;
    this.deliveryTimeout = b.deliveryTimeout;
    this.retryBackoff = b.retryBackoff;
    this.maxInFlightRequests = b.maxInFlightRequests;
    this.maxInFlightBatches = b.maxInFlightBatches;
    this.bufferBytesMax = b.bufferBytesMax;
    this.maxBlock = b.maxBlock;
    this.partitioner = b.partitioner;
    this.idempotence = b.idempotence;
    this.compression = b.compression;
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
  public static ProducerConfig defaults() {
    return builder().build();
  }

  /**
   * How long a batch waits for more records before it is sent. Default 5 ms.
   *
   * @return how long a batch waits for more records before it is sent
   */
  public Duration linger() {
    return linger;
  }

  /**
   * Encoded size a batch is closed before exceeding, in bytes. Default 64 KiB.
   *
   * @return encoded size a batch is closed before exceeding, in bytes
   */
  public int batchSizeBytesMax() {
    return batchSizeBytesMax;
  }

  /**
   * Bound from send() to the completion of its future, retries included. Default 30 s.
   *
   * @return bound from send() to the completion of its future, retries included
   */
  public Duration deliveryTimeout() {
    return deliveryTimeout;
  }

  /**
   * First retry backoff; doubles per attempt, capped at 1 s. Default 100 ms.
   *
   * @return first retry backoff
   */
  public Duration retryBackoff() {
    return retryBackoff;
  }

  /**
   * Produce RPCs outstanding at once, per producer (each carries at most one batch per
   * partition). Default 5.
   *
   * @return produce RPCs outstanding at once, per producer (each carries at most one batch per partition)
   */
  public int maxInFlightRequests() {
    return maxInFlightRequests;
  }

  /**
   * Batches of one partition in flight at once (1 to 5; only 1 is used without idempotence).
   * Default 5. See {@link Builder#maxInFlightBatches(int)}.
   *
   * @return batches of one partition in flight at once, 1 to 5
   */
  public int maxInFlightBatches() {
    return maxInFlightBatches;
  }

  /**
   * Bytes of records buffered (queued or in flight) at once, estimated. Default 32 MiB.
   *
   * @return bytes of records buffered (queued or in flight) at once, estimated
   */
  public long bufferBytesMax() {
    return bufferBytesMax;
  }

  /**
   * Longest send() waits for buffer space or for the topic's partition count. Default 60 s.
   *
   * @return longest send() waits for buffer space or for the topic's partition count
   */
  public Duration maxBlock() {
    return maxBlock;
  }

  /**
   * How records that name no partition are partitioned. Default {@link PartitionerKind#DEFAULT}.
   *
   * @return how records that name no partition are partitioned
   */
  public PartitionerKind partitioner() {
    return partitioner;
  }

  /**
   * Whether the producer is idempotent: it takes a producer id from the cluster and numbers its
   * batches, so that it can retry a write whose outcome is unknown without storing it twice.
   * Default true. See {@link Builder#idempotence(boolean)}.
   *
   * @return whether the producer is idempotent: it takes a producer id from the cluster and numbers its batches, so that it can retry a write whose outcome is unknown without storing it twice
   */
  public boolean idempotence() {
    return idempotence;
  }

  /**
   * How each batch's records are compressed. Default none. See {@link Builder#compression(CompressionType)}.
   *
   * @return how each batch's records are compressed
   */
  public CompressionType compression() {
    return compression;
  }

  @Override
  public String toString() {
    return "ProducerConfig{linger=" + linger + ", batchSizeBytesMax=" + batchSizeBytesMax
        + ", deliveryTimeout=" + deliveryTimeout + ", retryBackoff=" + retryBackoff
        + ", maxInFlightRequests=" + maxInFlightRequests + ", maxInFlightBatches=" + maxInFlightBatches
        + ", bufferBytesMax=" + bufferBytesMax
        + ", maxBlock=" + maxBlock + ", partitioner=" + partitioner + ", idempotence=" + idempotence
        + ", compression=" + compression + "}";
  }

  /** Builds a {@link ProducerConfig}. Not thread-safe. Setters reject out-of-range values. */
  public static final class Builder {
    private Duration linger = DEFAULT_LINGER;
    private int batchSizeBytesMax = DEFAULT_BATCH_SIZE_BYTES_MAX;
    private Duration deliveryTimeout = DEFAULT_DELIVERY_TIMEOUT;
    private Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
    private int maxInFlightRequests = DEFAULT_MAX_IN_FLIGHT_REQUESTS;
    private int maxInFlightBatches = DEFAULT_MAX_IN_FLIGHT_BATCHES;
    private long bufferBytesMax = DEFAULT_BUFFER_BYTES_MAX;
    private Duration maxBlock = DEFAULT_MAX_BLOCK;
    private PartitionerKind partitioner = DEFAULT_PARTITIONER;
    private boolean idempotence = DEFAULT_IDEMPOTENCE;
    private CompressionType compression = DEFAULT_COMPRESSION;

    private Builder() {}

    /**
     * Compression of each batch's records: {@link CompressionType#NONE} (the default),
     * {@link CompressionType#LZ4} (fast) or {@link CompressionType#ZSTD} (smaller). The batch is
     * compressed once when it is sealed for sending, stored and replicated compressed, and
     * decompressed by consumers transparently; a batch that would not shrink is sent
     * uncompressed. {@link #batchSizeBytesMax(int)} still counts uncompressed bytes. The leader
     * decompresses each batch once to check its records before it enters the log.
     *
     * @param compression the new value (see above)
     * @return this builder
     */
    public Builder compression(CompressionType compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /**
     * How long a batch waits for more records; zero or more. Default 5 ms.
     *
     * @param linger the new value (see above)
     * @return this builder
     */
    public Builder linger(Duration linger) {
      this.linger = nonNegative(linger, "linger");
      return this;
    }

    /**
     * A batch is closed before its encoded size would exceed this many bytes; a single larger
     * record gets a batch of its own. At least 1. Default 64 KiB.
     *
     * @param batchSizeBytesMax the new value (see above)
     * @return this builder
     */
    public Builder batchSizeBytesMax(int batchSizeBytesMax) {
      if (batchSizeBytesMax < 1) {
        throw new IllegalArgumentException("batchSizeBytesMax must be positive, got " + batchSizeBytesMax);
      }
      this.batchSizeBytesMax = batchSizeBytesMax;
      return this;
    }

    /**
     * Bound from send() to completion, retries included; positive. Default 30 s.
     *
     * @param deliveryTimeout the new value (see above)
     * @return this builder
     */
    public Builder deliveryTimeout(Duration deliveryTimeout) {
      this.deliveryTimeout = positive(deliveryTimeout, "deliveryTimeout");
      return this;
    }

    /**
     * First retry backoff (doubles per attempt, capped at 1 s); zero or more. Default 100 ms.
     *
     * @param retryBackoff the new value (see above)
     * @return this builder
     */
    public Builder retryBackoff(Duration retryBackoff) {
      this.retryBackoff = nonNegative(retryBackoff, "retryBackoff");
      return this;
    }

    /**
     * Produce RPCs outstanding at once; at least 1. Default 5.
     *
     * @param maxInFlightRequests the new value (see above)
     * @return this builder
     */
    public Builder maxInFlightRequests(int maxInFlightRequests) {
      if (maxInFlightRequests < 1) {
        throw new IllegalArgumentException("maxInFlightRequests must be positive, got " + maxInFlightRequests);
      }
      this.maxInFlightRequests = maxInFlightRequests;
      return this;
    }

    /**
     * Batches of one partition that may be in flight at once; 1 to {@value #MAX_IN_FLIGHT_BATCHES_MAX}.
     * Default {@value #DEFAULT_MAX_IN_FLIGHT_BATCHES}.
     *
     * <p>With idempotence, order within a partition is kept whatever this is (as with Kafka's
     * idempotent producer): batches are numbered in send order, the leader refuses a batch whose
     * predecessor it has not stored (OUT_OF_ORDER_SEQUENCE, nothing written), and the producer
     * then re-sends it after that predecessor, retries going one at a time in order. More than
     * one lets a partition's throughput exceed one batch per commit round trip. At most 5 because
     * the leader remembers the last 5 batches per producer and partition. Without idempotence
     * only one batch per partition is ever in flight, whatever this says: a retried batch could
     * otherwise land after a later one.
     *
     * @param maxInFlightBatches the new value (see above)
     * @return this builder
     */
    public Builder maxInFlightBatches(int maxInFlightBatches) {
      if (maxInFlightBatches < 1 || maxInFlightBatches > MAX_IN_FLIGHT_BATCHES_MAX) {
        throw new IllegalArgumentException("maxInFlightBatches must be in [1, " + MAX_IN_FLIGHT_BATCHES_MAX
            + "], got " + maxInFlightBatches);
      }
      this.maxInFlightBatches = maxInFlightBatches;
      return this;
    }

    /**
     * Bytes of records buffered at once (estimated); at least 1. Default 32 MiB.
     *
     * @param bufferBytesMax the new value (see above)
     * @return this builder
     */
    public Builder bufferBytesMax(long bufferBytesMax) {
      if (bufferBytesMax < 1) {
        throw new IllegalArgumentException("bufferBytesMax must be positive, got " + bufferBytesMax);
      }
      this.bufferBytesMax = bufferBytesMax;
      return this;
    }

    /**
     * Longest send() blocks waiting for buffer space or the topic's partition count; zero or
     * more. When it elapses the future fails (BufferExhaustedException, TimeoutException).
     * Default 60 s.
     *
     * @param maxBlock the new value (see above)
     * @return this builder
     */
    public Builder maxBlock(Duration maxBlock) {
      this.maxBlock = nonNegative(maxBlock, "maxBlock");
      return this;
    }

    /**
     * Partitioning of records that name no partition. Default {@link PartitionerKind#DEFAULT}.
     *
     * @param partitioner the new value (see above)
     * @return this builder
     */
    public Builder partitioner(PartitionerKind partitioner) {
      this.partitioner = Objects.requireNonNull(partitioner, "partitioner");
      return this;
    }

    /**
     * Idempotent producing. Default true.
     *
     * <p>When true, the producer obtains a producer id from the cluster (InitProducer, through
     * Raft, before its first send) and stamps every batch with (producer id, epoch, base
     * sequence), the sequence counting records per partition. The leader stores a batch at most
     * once: a batch it already holds is answered with its original offsets. So the producer
     * retries failures whose outcome is unknown (commit timeout, connection lost after sending,
     * deadline exceeded) within {@link #deliveryTimeout(Duration)}, and a record that succeeds is
     * stored exactly once, in send order within its partition. See {@link Producer} for the
     * cases that still end in {@link IndeterminateException}.
     *
     * <p>When false, batches carry no producer id and a failure whose outcome is unknown is
     * never retried: the future fails with {@link IndeterminateException}.
     *
     * @param idempotence the new value (see above)
     * @return this builder
     */
    public Builder idempotence(boolean idempotence) {
      this.idempotence = idempotence;
      return this;
    }

    /** @return the configuration */
    public ProducerConfig build() {
      return new ProducerConfig(this);
    }
  }

  static Duration nonNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, got " + d);
    }
    return d;
  }

  static Duration positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
    return d;
  }
}
