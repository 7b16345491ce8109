package io.sluice.node.metrics;

import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.node.HostPort;
import io.sluice.node.NodeConfig;
import io.sluice.node.SluiceNode;
import io.sluice.node.http.HttpEndpoint;
import io.sluice.node.http.JsonText;
import io.sluice.statemachine.LogCore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A node's observability: its Micrometer registry (exported in the Prometheus text format), the
 * gRPC interceptor that measures client RPCs, the Raft and storage gauges, and the HTTP endpoint
 * with {@code /metrics}, {@code /health/live} and {@code /health/ready}.
 *
 * <p>Every series carries the tag {@code node} (this node's id). Metric names and units follow
 * the Prometheus conventions; the README's "Monitoring" section lists them.
 *
 * <p>Thread-safe. Lifecycle, driven by {@link SluiceNode}: {@link #bind} (before the Raft server
 * starts: it takes the HTTP port, so a clash fails first, and registers the state-machine
 * listeners), {@link #start} (once the node serves), {@link #close}.
 */
public final class Monitoring implements AutoCloseable {
  static final String CONTENT_TYPE_PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";

  private final NodeConfig config;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
  private final TopicMeters topics;
  private final RpcMetrics rpc;
  private final long applyLagEntriesMax;
  private volatile SluiceNode node;
  private volatile RaftMetrics raft;
  private volatile HttpEndpoint http;

  public Monitoring(NodeConfig config) {
    this.config = config;
    this.applyLagEntriesMax = config.getLong(NodeConfig.HEALTH_READY_APPLY_LAG_ENTRIES_MAX);
    registry.config().commonTags("node", config.nodeId());
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    this.topics = new TopicMeters(registry, config.getInt(NodeConfig.METRICS_TOPICS_MAX));
    this.rpc = new RpcMetrics(registry, topics);
  }

  /** Takes the HTTP port and hooks into {@code node}; call before its Raft server starts. */
  public void bind(SluiceNode node) throws IOException {
    this.http = HttpEndpoint.bind(config.httpListen(), Map.of(
        "/metrics", () -> HttpEndpoint.Response.text(200, CONTENT_TYPE_PROMETHEUS, scrape()),
        "/health/live", () -> HttpEndpoint.Response.json(200,
            "{\"live\":true,\"node\":" + JsonText.quote(config.nodeId()) + "}"),
        "/health/ready", () -> {
          Readiness.Verdict v = readiness();
          return HttpEndpoint.Response.json(v.ready() ? 200 : 503, v.toJson(config.nodeId()));
        }), "sluice-" + config.nodeId() + "-http");
    this.node = node;
    RaftMetrics raftMetrics = new RaftMetrics(registry, node, applyLagEntriesMax);
    StorageMetrics.bind(registry, node, config.dataDir());
    node.stateMachine().addLeaderChangeListener(raftMetrics::onLeaderChanged);
    node.stateMachine().addSnapshotListener(raftMetrics);
    this.raft = raftMetrics;
  }

  /** Measures every client RPC; add it to the gRPC server. */
  public ServerInterceptor grpcInterceptor() {
    return rpc;
  }

  /** Starts answering HTTP requests. */
  public void start() {
    http.start();
  }

  /** The HTTP endpoint's bound address (the actual port when configured as 0). */
  public HostPort httpAddress() {
    InetSocketAddress a = http.address();
    return new HostPort(config.httpListen().host(), a.getPort());
  }

  public MeterRegistry registry() {
    return registry;
  }

  public Readiness.Verdict readiness() {
    return Readiness.judge(RaftProbe.state(node), applyLagEntriesMax);
  }

  /** The Prometheus text exposition, after refreshing what is only read at scrape time. */
  synchronized String scrape() {
    raft.refresh();
    LogCore core = node.core();
    if (core != null) {
      topics.prune(t -> core.topic(t).isPresent());
    }
    return registry.scrape();
  }

  @Override
  public void close() {
    HttpEndpoint h = http;
    if (h != null) {
      h.close();
    }
    gcMetrics.close();
    registry.close();
  }
}
