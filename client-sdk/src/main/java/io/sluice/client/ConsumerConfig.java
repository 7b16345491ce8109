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
  /** Default of autoCommitInterval: 5 s. */
  public static final Duration DEFAULT_AUTO_COMMIT_INTERVAL = Duration.ofSeconds(5);
  /** Default of sessionTimeout: 10 s. */
  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);
  /** Default of heartbeatInterval: 3 s. */
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(3);
  /** Default of rebalanceTimeout: 60 s. */
  public static final Duration DEFAULT_REBALANCE_TIMEOUT = Duration.ofSeconds(60);
  /** Default of clientId: "consumer". */
  public static final String DEFAULT_CLIENT_ID = "consumer";

  private final int fetchMaxBytes;
  private final int partitionFetchMaxBytes;
  private final Duration fetchMaxWait;
  private final boolean streaming;
  private final String groupId;
  private final String clientId;
  private final boolean enableAutoCommit;
  private final Duration autoCommitInterval;
  private final Duration sessionTimeout;
  private final Duration heartbeatInterval;
  private final Duration rebalanceTimeout;
  private final AssignmentStrategy assignmentStrategy;
  private final OffsetResetPolicy offsetResetPolicy;

  private ConsumerConfig(Builder b) {
    this.groupId = b.groupId;
    this.clientId = b.clientId;
    this.enableAutoCommit = b.enableAutoCommit;
    this.autoCommitInterval = b.autoCommitInterval;
    this.sessionTimeout = b.sessionTimeout;
    this.heartbeatInterval = b.heartbeatInterval;
    this.rebalanceTimeout = b.rebalanceTimeout;
    this.assignmentStrategy = b.assignmentStrategy;
    this.offsetResetPolicy = b.offsetResetPolicy;
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

  /**
   * The consumer group to join on {@link Consumer#subscribe}. Default none.
   *
   * @return the group id, or null when the consumer is not in a group
   */
  public String groupId() {
    return groupId;
  }

  /**
   * Name shown in group descriptions; member ids start with it. Default "consumer".
   *
   * @return the client name
   */
  public String clientId() {
    return clientId;
  }

  /**
   * Whether a group consumer commits its positions by itself (every autoCommitInterval, on
   * revoke and on close). Default true.
   *
   * @return true when positions are committed automatically
   */
  public boolean enableAutoCommit() {
    return enableAutoCommit;
  }

  /**
   * How often auto-commit commits (also on revoke and close). Default 5 s.
   *
   * @return the auto-commit period
   */
  public Duration autoCommitInterval() {
    return autoCommitInterval;
  }

  /**
   * The group expires the member after this long without a heartbeat. Default 10 s.
   *
   * @return the session timeout
   */
  public Duration sessionTimeout() {
    return sessionTimeout;
  }

  /**
   * Time between heartbeats (sent by the client's timer thread, so heartbeats go on between
   * polls). Default 3 s.
   *
   * @return the heartbeat period
   */
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  /**
   * How long a rebalance waits for this member to rejoin (which happens inside poll) before the
   * group expires it: the longest the application may go between polls during a rebalance.
   * Default 60 s.
   *
   * @return the rebalance timeout
   */
  public Duration rebalanceTimeout() {
    return rebalanceTimeout;
  }

  /**
   * How the group spreads partitions. Default {@link AssignmentStrategy#RANGE}.
   *
   * @return the assignment strategy this member asks for
   */
  public AssignmentStrategy assignmentStrategy() {
    return assignmentStrategy;
  }

  /**
   * Where to start a partition without a committed offset. Default {@link OffsetResetPolicy#LATEST}.
   *
   * @return the offset reset policy
   */
  public OffsetResetPolicy offsetResetPolicy() {
    return offsetResetPolicy;
  }

  @Override
  public String toString() {
    return "ConsumerConfig{fetchMaxBytes=" + fetchMaxBytes + ", partitionFetchMaxBytes="
        + partitionFetchMaxBytes + ", fetchMaxWait=" + fetchMaxWait + ", streaming=" + streaming
        + ", groupId=" + groupId + ", clientId=" + clientId + ", enableAutoCommit=" + enableAutoCommit
        + ", autoCommitInterval=" + autoCommitInterval + ", sessionTimeout=" + sessionTimeout
        + ", heartbeatInterval=" + heartbeatInterval + ", rebalanceTimeout=" + rebalanceTimeout
        + ", assignmentStrategy=" + assignmentStrategy + ", offsetResetPolicy=" + offsetResetPolicy + "}";
  }

  /** Builds a {@link ConsumerConfig}. Not thread-safe. Setters reject out-of-range values. */
  public static final class Builder {
    private int fetchMaxBytes = DEFAULT_FETCH_MAX_BYTES;
    private int partitionFetchMaxBytes = DEFAULT_PARTITION_FETCH_MAX_BYTES;
    private Duration fetchMaxWait = DEFAULT_FETCH_MAX_WAIT;
    private boolean streaming = true;
    private String groupId;
    private String clientId = DEFAULT_CLIENT_ID;
    private boolean enableAutoCommit = true;
    private Duration autoCommitInterval = DEFAULT_AUTO_COMMIT_INTERVAL;
    private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
    private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private Duration rebalanceTimeout = DEFAULT_REBALANCE_TIMEOUT;
    private AssignmentStrategy assignmentStrategy = AssignmentStrategy.RANGE;
    private OffsetResetPolicy offsetResetPolicy = OffsetResetPolicy.LATEST;

    private Builder() {}

    /**
     * The consumer group to join on subscribe: 1 to 249 characters from [a-zA-Z0-9._-]. Default none.
     *
     * @param groupId the group id
     * @return this builder
     * @throws IllegalArgumentException naming what is wrong with the id
     */
    public Builder groupId(String groupId) {
      String problem = io.sluice.protocol.GroupIds.problem(groupId);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      this.groupId = groupId;
      return this;
    }

    /**
     * Client name shown by describe and used as the start of the member id: 1 to 64 characters
     * from [a-zA-Z0-9._-]. Default "consumer".
     *
     * @param clientId the client name
     * @return this builder
     * @throws IllegalArgumentException when it is null, empty, too long or has other characters
     */
    public Builder clientId(String clientId) {
      if (clientId == null || !clientId.matches("[a-zA-Z0-9._-]{1,64}")) {
        throw new IllegalArgumentException("clientId must be 1 to 64 characters from [a-zA-Z0-9._-], got " + clientId);
      }
      this.clientId = clientId;
      return this;
    }

    /**
     * Commit positions automatically (every autoCommitInterval, on revoke, on close). Default
     * true; turn it off to commit with {@link Consumer#commitSync()} after processing.
     *
     * @param enableAutoCommit whether to commit automatically
     * @return this builder
     */
    public Builder enableAutoCommit(boolean enableAutoCommit) {
      this.enableAutoCommit = enableAutoCommit;
      return this;
    }

    /**
     * Auto-commit period; positive. Default 5 s.
     *
     * @param autoCommitInterval time between automatic commits
     * @return this builder
     * @throws IllegalArgumentException when it is zero or negative
     */
    public Builder autoCommitInterval(Duration autoCommitInterval) {
      this.autoCommitInterval = ProducerConfig.positive(autoCommitInterval, "autoCommitInterval");
      return this;
    }

    /**
     * Session timeout; positive, within the cluster's group.session.timeout.ms.min/max (checked on
     * join). Default 10 s.
     *
     * @param sessionTimeout how long the group waits for a heartbeat before expiring the member
     * @return this builder
     * @throws IllegalArgumentException when it is zero or negative
     */
    public Builder sessionTimeout(Duration sessionTimeout) {
      this.sessionTimeout = ProducerConfig.positive(sessionTimeout, "sessionTimeout");
      return this;
    }

    /**
     * Heartbeat period; positive, and should be well under the session timeout. Default 3 s.
     *
     * @param heartbeatInterval time between heartbeats
     * @return this builder
     * @throws IllegalArgumentException when it is zero or negative
     */
    public Builder heartbeatInterval(Duration heartbeatInterval) {
      this.heartbeatInterval = ProducerConfig.positive(heartbeatInterval, "heartbeatInterval");
      return this;
    }

    /**
     * Rebalance timeout; positive, at most the cluster's group.rebalance.timeout.ms.max (checked
     * on join). Default 60 s.
     *
     * @param rebalanceTimeout the longest the application may go between polls during a rebalance
     * @return this builder
     * @throws IllegalArgumentException when it is zero or negative
     */
    public Builder rebalanceTimeout(Duration rebalanceTimeout) {
      this.rebalanceTimeout = ProducerConfig.positive(rebalanceTimeout, "rebalanceTimeout");
      return this;
    }

    /**
     * Assignment strategy; every member of a group must use the same one (else the join fails
     * with {@link GroupException} INCONSISTENT_GROUP_PROTOCOL). Default RANGE.
     *
     * @param assignmentStrategy how the group spreads partitions
     * @return this builder
     */
    public Builder assignmentStrategy(AssignmentStrategy assignmentStrategy) {
      this.assignmentStrategy = java.util.Objects.requireNonNull(assignmentStrategy, "assignmentStrategy");
      return this;
    }

    /**
     * Where to start a partition without a committed offset. Default LATEST.
     *
     * @param offsetResetPolicy EARLIEST (log start offset) or LATEST (end offset)
     * @return this builder
     */
    public Builder offsetResetPolicy(OffsetResetPolicy offsetResetPolicy) {
      this.offsetResetPolicy = java.util.Objects.requireNonNull(offsetResetPolicy, "offsetResetPolicy");
      return this;
    }

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

    /**
     * Builds the configuration.
     *
     * @return the configuration
     * @throws IllegalArgumentException when the durations do not fit the protocol (int milliseconds)
     */
    public ConsumerConfig build() {
      if (sessionTimeout.toMillis() > Integer.MAX_VALUE || rebalanceTimeout.toMillis() > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("sessionTimeout and rebalanceTimeout must be under 2^31 ms");
      }
      return new ConsumerConfig(this);
    }
  }
}
