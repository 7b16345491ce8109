package io.sluice.client;

import io.grpc.ManagedChannel;
import io.sluice.client.internal.Addresses;
import io.sluice.client.internal.AdminImpl;
import io.sluice.client.internal.ClientContext;
import io.sluice.client.internal.ClientTls;
import io.sluice.client.internal.ClusterMetadata;
import io.sluice.client.internal.ConsumerImpl;
import io.sluice.client.internal.ProducerImpl;
import io.sluice.client.internal.RpcClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Function;

/**
 * Entry point of the SDK: holds one gRPC channel per node and the cluster metadata (leader and
 * node addresses), shared by the producers, consumers and admin made from it.
 *
 * <pre>{@code
 * try (SluiceClient client = SluiceClient.builder().bootstrap("127.0.0.1:7070,127.0.0.1:7071").build()) {
 *   Producer producer = client.newProducer();
 *   producer.send(ProducerRecord.of("orders", "hello".getBytes())).join();
 * }
 * }</pre>
 *
 * <p>Leader discovery: DescribeCluster on the known nodes gives the leader's id and every node's
 * client address; a NOT_LEADER error's leader hint is used at once. Every RPC carries a deadline
 * of at most {@code requestTimeout}.
 *
 * <p>Thread-safe; meant to be shared. {@link #close()} shuts the channels: producers and
 * consumers made from this client stop working.
 */
public final class SluiceClient implements AutoCloseable {
  /** Default of requestTimeout: 10 s. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** Default of metadataRefreshBackoff: 100 ms. */
  public static final Duration DEFAULT_METADATA_REFRESH_BACKOFF = Duration.ofMillis(100);

  private final ClientContext ctx;
  private final AdminImpl admin;
  private final Set<ProducerImpl> producers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private SluiceClient(Builder b) {
    Function<String, ManagedChannel> channels = b.channelFactory;
    if (b.token != null) {
      io.sluice.client.internal.BearerToken credentials = b.token;
      Function<String, ManagedChannel> plain = b.channelFactory;
      channels = address -> credentials.applyTo(plain.apply(address));
    }
    RpcClient rpc = new RpcClient(channels, b.transportTls);
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = Executors.defaultThreadFactory().newThread(r);
      t.setName("sluice-client-timer");
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
    ClusterMetadata metadata = new ClusterMetadata(rpc, b.bootstrap, b.requestTimeout, b.metadataRefreshBackoff,
        scheduler);
    this.ctx = new ClientContext(rpc, metadata, scheduler, b.requestTimeout, b.metadataRefreshBackoff);
    this.admin = new AdminImpl(ctx);
  }

  /**
   * A builder; {@link Builder#bootstrap(String)} is required.
   *
   * @return this builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A producer with {@link ProducerConfig#defaults()}.
   *
   * @return a producer with {@link ProducerConfig#defaults()}
   */
  public Producer newProducer() {
    return newProducer(ProducerConfig.defaults());
  }

  /**
   * A producer with {@code config}; it runs one sender thread until closed.
   *
   * @param config its settings
   * @return a producer with {@code config}
   */
  public Producer newProducer(ProducerConfig config) {
    Objects.requireNonNull(config, "config");
    ensureOpen();
    ProducerImpl[] self = new ProducerImpl[1];
    ProducerImpl p = new ProducerImpl(ctx, admin, config, () -> producers.remove(self[0]));
    self[0] = p;
    producers.add(p);
    return p;
  }

  /**
   * A consumer with {@link ConsumerConfig#defaults()}.
   *
   * @return a consumer with {@link ConsumerConfig#defaults()}
   */
  public Consumer newConsumer() {
    return newConsumer(ConsumerConfig.defaults());
  }

  /**
   * A consumer with {@code config}.
   *
   * @param config its settings
   * @return a consumer with {@code config}
   */
  public Consumer newConsumer(ConsumerConfig config) {
    Objects.requireNonNull(config, "config");
    ensureOpen();
    return new ConsumerImpl(ctx, admin, config);
  }

  /**
   * The admin API of this client (one shared instance).
   *
   * @return the admin API of this client (one shared instance)
   */
  public Admin admin() {
    return admin;
  }

  /**
   * Closes every producer of this client at once (queued records fail NOT_WRITTEN, in-flight
   * ones indeterminate), then the channels and the timer. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (ProducerImpl p : new ArrayList<>(producers)) {
      p.close(Duration.ZERO);
    }
    ctx.rpc().close();
    // shutdown(), not shutdownNow(): delayed retries still run once, see the closed client and
    // fail their futures, instead of being dropped with their futures never completing.
    ctx.scheduler().shutdown();
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the client is closed");
    }
  }

  /** Builds a {@link SluiceClient}. Not thread-safe. */
  public static final class Builder {
    private List<String> bootstrap;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration metadataRefreshBackoff = DEFAULT_METADATA_REFRESH_BACKOFF;
    private Function<String, ManagedChannel> channelFactory;
    private boolean transportTls;
    private int maxInboundMessageBytes = RpcClient.INBOUND_MESSAGE_BYTES_MAX;
    private boolean tls;
    private Path tlsTrustCertificates;
    private Path tlsClientCertificate;
    private Path tlsClientKey;
    private io.sluice.client.internal.BearerToken token;

    private Builder() {}

    /**
     * Connects over TLS, trusting the CA certificate(s) in {@code caPem} (PEM) for the nodes'
     * certificates; each node's certificate must name the host clients reach it at (its advertised
     * address) among its subjectAltNames. Default: plaintext. The file is read by {@link #build()}.
     *
     * @param caPem PEM file with one or more CA certificates, e.g. {@code ca.crt} of {@code sluice certs dev}
     * @return this builder
     */
    public Builder tlsTrustCertificates(Path caPem) {
      this.tlsTrustCertificates = Objects.requireNonNull(caPem, "caPem");
      this.tls = true;
      return this;
    }

    /**
     * Presents this certificate (mutual TLS) when a node asks for one ({@code tls.client.auth}
     * optional or required); its subject names the client's principal. Turns TLS on; without
     * {@link #tlsTrustCertificates} the JVM's default trust store checks the nodes. Default: none.
     *
     * @param certificatePem PEM certificate (chain) of the client
     * @param privateKeyPem  its unencrypted PKCS#8 PEM private key
     * @return this builder
     */
    public Builder tlsClientCertificate(Path certificatePem, Path privateKeyPem) {
      this.tlsClientCertificate = Objects.requireNonNull(certificatePem, "certificatePem");
      this.tlsClientKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
      this.tls = true;
      return this;
    }

    /**
     * Connects over TLS (true) or in plaintext (false, the default). TLS without
     * {@link #tlsTrustCertificates} trusts the JVM's default CAs.
     *
     * @param enabled whether to use TLS
     * @return this builder
     */
    public Builder tls(boolean enabled) {
      this.tls = enabled;
      return this;
    }

    /**
     * A bearer token (from {@code sluice auth token create} or {@link Admin#createToken}) sent as
     * {@code authorization: Bearer <token>} with every call, for clusters with authentication on.
     * Default: none (a client certificate, or a cluster without authentication). The token is
     * never logged. Over a plaintext connection it crosses the network in clear: use TLS.
     *
     * @param token the secret; null for none
     * @return this builder
     * @throws IllegalArgumentException when it is empty or holds spaces or non-ASCII characters
     */
    public Builder token(String token) {
      this.token = token == null ? null : new io.sluice.client.internal.BearerToken(token);
      return this;
    }

    /**
     * Largest response the client reads, in bytes; at least 1 MiB. Default 128 MiB. A fetch
     * response over it fails with RESOURCE_EXHAUSTED instead of being buffered; keep it above
     * the cluster's fetch.bytes.max and its largest batch (batch.bytes.max).
     *
     * @param maxInboundMessageBytes the new value (see above)
     * @return this builder
     * @throws IllegalArgumentException when under 1 MiB
     */
    public Builder maxInboundMessageBytes(int maxInboundMessageBytes) {
      if (maxInboundMessageBytes < (1 << 20)) {
        throw new IllegalArgumentException("maxInboundMessageBytes must be at least 1048576, got "
            + maxInboundMessageBytes);
      }
      this.maxInboundMessageBytes = maxInboundMessageBytes;
      return this;
    }

    /**
     * Comma-separated host:port addresses of some nodes' client APIs (IPv6 as [::1]:7070).
     * Required. The other nodes are learned from the cluster.
     *
     * @throws IllegalArgumentException naming the malformed entry, or when none is given
     * @param addresses the new value (see above)
     * @return this builder
     */
    public Builder bootstrap(String addresses) {
      this.bootstrap = Addresses.parseList(addresses);
      return this;
    }

    /**
     * Like {@link #bootstrap(String)}, one host:port per element.
     *
     * @param addresses the new value (see above)
     * @return this builder
     */
    public Builder bootstrap(List<String> addresses) {
      this.bootstrap = Addresses.parseAll(addresses);
      return this;
    }

    /**
     * Bound on one RPC attempt; positive. Default 10 s.
     *
     * @param requestTimeout the new value (see above)
     * @return this builder
     */
    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = ProducerConfig.positive(requestTimeout, "requestTimeout");
      return this;
    }

    /**
     * Least time between two metadata refreshes, and the first backoff of admin retries
     * (doubling, capped at 1 s); zero or more. Default 100 ms.
     *
     * @param metadataRefreshBackoff the new value (see above)
     * @return this builder
     */
    public Builder metadataRefreshBackoff(Duration metadataRefreshBackoff) {
      this.metadataRefreshBackoff = ProducerConfig.nonNegative(metadataRefreshBackoff, "metadataRefreshBackoff");
      return this;
    }

    /** Replaces how channels are made (in-process channels in tests). Default: plaintext Netty. */
    Builder channelFactory(Function<String, ManagedChannel> channelFactory) {
      this.channelFactory = Objects.requireNonNull(channelFactory, "channelFactory");
      return this;
    }

    /**
     * Builds the client; it connects lazily.
     *
     * @return a new client with these settings
     * @throws IllegalStateException when no bootstrap address was given
     * @throws IllegalArgumentException when a TLS file is missing, unreadable or not usable PEM
     */
    public SluiceClient build() {
      if (bootstrap == null) {
        throw new IllegalStateException("bootstrap addresses are required");
      }
      if (channelFactory == null) {
        int inboundMax = maxInboundMessageBytes;
        ClientTls clientTls = tls ? ClientTls.of(tlsTrustCertificates, tlsClientCertificate, tlsClientKey) : null;
        channelFactory = address -> RpcClient.nettyChannel(address, inboundMax, clientTls);
        transportTls = clientTls != null;
      }

      return new SluiceClient(this);
    }
  }
}
