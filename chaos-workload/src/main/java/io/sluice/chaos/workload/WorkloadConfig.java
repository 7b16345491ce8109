package io.sluice.chaos.workload;

import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a chaos workload. Immutable and thread-safe; build with {@link #builder(String)}.
 * Every setting has a default, listed on its builder method.
 */
public final class WorkloadConfig {

  public static final int DEFAULT_PARTITIONS = 3;
  public static final int DEFAULT_PRODUCERS = 2;
  public static final int DEFAULT_ATOMIC_WRITERS = 1;
  public static final int DEFAULT_SDK_ATOMIC_WRITERS = 1;
  public static final int DEFAULT_CONSUMERS = 2;
  public static final int DEFAULT_GROUP_CONSUMERS = 2;
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(1000);
  public static final int DEFAULT_PRODUCER_RATE_PER_SECOND = 100;
  public static final int DEFAULT_PRODUCER_IN_FLIGHT_MAX = 64;
  public static final int DEFAULT_ATOMIC_RATE_PER_SECOND = 10;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_DELIVERY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_SETTLE_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_POLL_TIMEOUT = Duration.ofMillis(500);

  private final String bootstrap;
  private final String topic;
  private final int partitions;
  private final int producers;
  private final int atomicWriters;
  private final int sdkAtomicWriters;
  private final int consumers;
  private final int groupConsumers;
  private final String group;
  private final Duration commitInterval;
  private final long seed;
  private final int producerRatePerSecond;
  private final int producerInFlightMax;
  private final int atomicRatePerSecond;
  private final Duration requestTimeout;
  private final Duration deliveryTimeout;
  private final Duration settleTimeout;
  private final Duration pollTimeout;
  private final Map<String, String> nodeAddresses;
  private final Tls tls;

  private WorkloadConfig(Builder b) {
    this.bootstrap = b.bootstrap;
    this.topic = b.topic != null ? b.topic : "verify-" + Long.toString(b.seed) + "-" + System.currentTimeMillis();
    this.partitions = b.partitions;
    this.producers = b.producers;
    this.atomicWriters = b.partitions >= 2 ? b.atomicWriters : 0;
    this.sdkAtomicWriters = b.partitions >= 2 ? b.sdkAtomicWriters : 0;
    this.consumers = b.consumers;
    this.groupConsumers = b.groupConsumers;
    this.group = b.group != null ? b.group : this.topic + "-group";
    this.commitInterval = b.commitInterval;
    this.seed = b.seed;
    this.producerRatePerSecond = b.producerRatePerSecond;
    this.producerInFlightMax = b.producerInFlightMax;
    this.atomicRatePerSecond = b.atomicRatePerSecond;
    this.requestTimeout = b.requestTimeout;
    this.deliveryTimeout = b.deliveryTimeout;
    this.settleTimeout = b.settleTimeout;
    this.pollTimeout = b.pollTimeout;
    this.nodeAddresses = Map.copyOf(b.nodeAddresses);
    this.tls = b.tls;
  }

  /** @param bootstrap host:port[,host:port…] of some nodes' client APIs */
  public static Builder builder(String bootstrap) {
    return new Builder(bootstrap);
  }

  public String bootstrap() {
    return bootstrap;
  }

  /** The topic the workload creates (it must not exist yet). Default "verify-SEED-MILLIS". */
  public String topic() {
    return topic;
  }

  public int partitions() {
    return partitions;
  }

  public int producers() {
    return producers;
  }

  /** Atomic writers (0 when the topic has a single partition). */
  public int atomicWriters() {
    return atomicWriters;
  }

  /** Atomic writers through the SDK's Producer.sendAtomically (0 when the topic has a single partition). */
  public int sdkAtomicWriters() {
    return sdkAtomicWriters;
  }

  public int consumers() {
    return consumers;
  }

  /** Consumers in one consumer group ({@link #group()}) that commit their offsets with commitSync. */
  public int groupConsumers() {
    return groupConsumers;
  }

  /** The group of the group consumers. Default "TOPIC-group". */
  public String group() {
    return group;
  }

  /** How often a group consumer commits what it has polled (besides on revoke and on stop). */
  public Duration commitInterval() {
    return commitInterval;
  }

  public long seed() {
    return seed;
  }

  public int producerRatePerSecond() {
    return producerRatePerSecond;
  }

  public int producerInFlightMax() {
    return producerInFlightMax;
  }

  public int atomicRatePerSecond() {
    return atomicRatePerSecond;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration deliveryTimeout() {
    return deliveryTimeout;
  }

  public Duration settleTimeout() {
    return settleTimeout;
  }

  public Duration pollTimeout() {
    return pollTimeout;
  }

  /** Node id to the client address the workload reaches it at; empty = as the cluster describes itself. */
  public Map<String, String> nodeAddresses() {
    return nodeAddresses;
  }

  /** TLS settings of the workload's clients; null for plaintext. */
  public Tls tls() {
    return tls;
  }

  /**
   * TLS settings: the CA trusted for the nodes, and an optional client certificate and key.
   *
   * @param caPem   PEM CA certificate(s)
   * @param certPem PEM client certificate, or null
   * @param keyPem  its PKCS#8 PEM key, or null
   */
  public record Tls(Path caPem, Path certPem, Path keyPem) {
    /** Applies these settings to an SDK client builder. */
    public SluiceClient.Builder apply(SluiceClient.Builder b) {
      b.tlsTrustCertificates(caPem);
      if (certPem != null) {
        b.tlsClientCertificate(certPem, keyPem);
      }
      return b;
    }
  }

  @Override
  public String toString() {
    return "WorkloadConfig{bootstrap=" + bootstrap + ", topic=" + topic + ", partitions=" + partitions
        + ", producers=" + producers + ", atomicWriters=" + atomicWriters
        + ", sdkAtomicWriters=" + sdkAtomicWriters + ", consumers=" + consumers
        + ", groupConsumers=" + groupConsumers + ", group=" + group + ", seed=" + seed + ", producerRatePerSecond=" + producerRatePerSecond
        + ", atomicRatePerSecond=" + atomicRatePerSecond + "}";
  }

  /** Builds a {@link WorkloadConfig}. Not thread-safe; setters reject out-of-range values. */
  public static final class Builder {
    private final String bootstrap;
    private String topic;
    private int partitions = DEFAULT_PARTITIONS;
    private int producers = DEFAULT_PRODUCERS;
    private int atomicWriters = DEFAULT_ATOMIC_WRITERS;
    private int sdkAtomicWriters = DEFAULT_SDK_ATOMIC_WRITERS;
    private int consumers = DEFAULT_CONSUMERS;
    private int groupConsumers = DEFAULT_GROUP_CONSUMERS;
    private String group;
    private Duration commitInterval = DEFAULT_COMMIT_INTERVAL;
    private long seed = 1;
    private int producerRatePerSecond = DEFAULT_PRODUCER_RATE_PER_SECOND;
    private int producerInFlightMax = DEFAULT_PRODUCER_IN_FLIGHT_MAX;
    private int atomicRatePerSecond = DEFAULT_ATOMIC_RATE_PER_SECOND;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration deliveryTimeout = DEFAULT_DELIVERY_TIMEOUT;
    private Duration settleTimeout = DEFAULT_SETTLE_TIMEOUT;
    private Duration pollTimeout = DEFAULT_POLL_TIMEOUT;
    private Map<String, String> nodeAddresses = Map.of();
    private Tls tls;

    private Builder(String bootstrap) {
      this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
      if (bootstrap.isBlank()) {
        throw new IllegalArgumentException("bootstrap must name at least one host:port");
      }
    }

    /** Topic to create; must not exist. Default "verify-SEED-MILLIS". */
    public Builder topic(String topic) {
      this.topic = Objects.requireNonNull(topic, "topic");
      return this;
    }

    /** Partitions of the topic, 1 to 1000. Default 3. */
    public Builder partitions(int partitions) {
      this.partitions = range(partitions, 1, 1000, "partitions");
      return this;
    }

    /** Producer processes (one SDK producer each), 0 to 64. Default 2. */
    public Builder producers(int producers) {
      this.producers = range(producers, 0, 64, "producers");
      return this;
    }

    /** Atomic writer processes (multi-partition ProduceRequests), 0 to 16. Default 1. */
    public Builder atomicWriters(int atomicWriters) {
      this.atomicWriters = range(atomicWriters, 0, 16, "atomicWriters");
      return this;
    }

    /** Atomic writer processes through the SDK (Producer.sendAtomically), 0 to 16. Default 1. */
    public Builder sdkAtomicWriters(int sdkAtomicWriters) {
      this.sdkAtomicWriters = range(sdkAtomicWriters, 0, 16, "sdkAtomicWriters");
      return this;
    }

    /** Consumer processes (even ones stream, odd ones long-poll), 0 to 64. Default 2. */
    public Builder consumers(int consumers) {
      this.consumers = range(consumers, 0, 64, "consumers");
      return this;
    }

    /** Consumers sharing one consumer group and committing offsets, 0 to 64. Default 2. */
    public Builder groupConsumers(int groupConsumers) {
      this.groupConsumers = range(groupConsumers, 0, 64, "groupConsumers");
      return this;
    }

    /** Consumer group of the group consumers; must be a valid group id. Default "TOPIC-group". */
    public Builder group(String group) {
      this.group = Objects.requireNonNull(group, "group");
      return this;
    }

    /** Time between a group consumer's periodic commits. Default 1 s. */
    public Builder commitInterval(Duration interval) {
      this.commitInterval = positive(interval, "commitInterval");
      return this;
    }

    /** Seed of every random choice (partitions, keys, pacing jitter). Default 1. */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Sends per second per producer, 1 to 100000. Default 100. */
    public Builder producerRatePerSecond(int rate) {
      this.producerRatePerSecond = range(rate, 1, 100_000, "producerRatePerSecond");
      return this;
    }

    /** Sends outstanding per producer, 1 to 10000. Default 64. */
    public Builder producerInFlightMax(int max) {
      this.producerInFlightMax = range(max, 1, 10_000, "producerInFlightMax");
      return this;
    }

    /** Atomic writes per second per atomic writer, 1 to 10000. Default 10. */
    public Builder atomicRatePerSecond(int rate) {
      this.atomicRatePerSecond = range(rate, 1, 10_000, "atomicRatePerSecond");
      return this;
    }

    /** Bound on one RPC. Default 5 s. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    /** The SDK producer's delivery timeout (send to completion). Default 30 s. */
    public Builder deliveryTimeout(Duration timeout) {
      this.deliveryTimeout = positive(timeout, "deliveryTimeout");
      return this;
    }

    /**
     * After the clients stop: how long to wait for outstanding operations, and for every node to
     * reach the cluster's end offsets before the final reads. Default 60 s.
     */
    public Builder settleTimeout(Duration timeout) {
      this.settleTimeout = positive(timeout, "settleTimeout");
      return this;
    }

    /** Longest one consumer poll waits. Default 500 ms. */
    public Builder pollTimeout(Duration timeout) {
      this.pollTimeout = positive(timeout, "pollTimeout");
      return this;
    }

    /**
     * Node id → host:port where the workload reaches that node's client API, for final reads and
     * atomic writes (e.g. mapped container ports). Default: the addresses the cluster advertises.
     */
    /**
     * Connects to the nodes over TLS: {@code caPem} is trusted for their certificates; {@code certPem}
     * and {@code keyPem} (both or neither) are the client's certificate for mutual TLS. Default: plaintext.
     */
    public Builder tls(Path caPem, Path certPem, Path keyPem) {
      if ((certPem == null) != (keyPem == null)) {
        throw new IllegalArgumentException("a TLS client certificate needs its key, and the key its certificate");
      }
      this.tls = new Tls(Objects.requireNonNull(caPem, "caPem"), certPem, keyPem);
      return this;
    }

    public Builder nodeAddresses(Map<String, String> nodeAddresses) {
      this.nodeAddresses = Map.copyOf(nodeAddresses);
      return this;
    }

    public WorkloadConfig build() {
      return new WorkloadConfig(this);
    }

    private static int range(int value, int min, int max, String name) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
      }
      return value;
    }

    private static Duration positive(Duration value, String name) {
      Objects.requireNonNull(value, name);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
