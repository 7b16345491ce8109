package io.sluice.node;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds the client connections of one node: {@code connections.max} in all and
 * {@code connections.per.ip.max} from one IP address. A connection over either limit is closed as
 * soon as its transport is ready (before any call runs on it), with a log line naming the limit;
 * the client sees UNAVAILABLE and may retry later or elsewhere.
 *
 * <p>Thread-safe: counts are atomics; gRPC calls the filter from its transport threads.
 */
final class ConnectionLimiter extends ServerTransportFilter {
  private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimiter.class);
  /** Present on a transport this filter counted: its remote IP. */
  private static final Attributes.Key<String> COUNTED_IP = Attributes.Key.create("sluice-counted-ip");
  /** At most one refusal log line per this interval (a flood must not flood the log too). */
  private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

  private final String nodeId;
  private final int connectionsMax;
  private final int perIpMax;
  private final AtomicInteger open = new AtomicInteger();
  private final Map<String, Integer> perIp = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
  private volatile long lastLogNanos = System.nanoTime() - LOG_INTERVAL_NANOS;

  ConnectionLimiter(String nodeId, int connectionsMax, int perIpMax) {
    this.nodeId = nodeId;
    this.connectionsMax = connectionsMax;
    this.perIpMax = perIpMax;
  }

  @Override
  public Attributes transportReady(Attributes attrs) {
    String ip = ipOf(attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    if (open.incrementAndGet() > connectionsMax) {
      open.decrementAndGet();
      throw refuse(ip, "connections.max (" + connectionsMax + ") client connections are open on node " + nodeId);
    }
    // merge/computeIfPresent are atomic per key: counts stay exact under concurrent connects.
    if (perIp.merge(ip, 1, Integer::sum) > perIpMax) {
      release(ip);
      throw refuse(ip, "connections.per.ip.max (" + perIpMax + ") client connections from " + ip
          + " are open on node " + nodeId);
    }
    return attrs.toBuilder().set(COUNTED_IP, ip).build();
  }

  @Override
  public void transportTerminated(Attributes attrs) {
    // Null attributes (gRPC passes them for a transport refused in transportReady) or no mark: never counted.
    String ip = attrs == null ? null : attrs.get(COUNTED_IP);
    if (ip != null) {
      release(ip);
    }
  }

  private void release(String ip) {
    open.decrementAndGet();
    perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Publishes {@code sluice_client_connections} (open now) and {@code sluice_client_connections_refused_total}. */
  void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    io.micrometer.core.instrument.Gauge.builder("sluice.client.connections", open, AtomicInteger::get)
        .description("Client connections open on this node").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("sluice.client.connections.refused", refused,
            java.util.concurrent.atomic.AtomicLong::get)
        .description("Client connections closed at once for being over connections.max or connections.per.ip.max")
        .register(registry);
  }

  /** Client connections open now. */
  int openConnections() {
    return open.get();
  }

  /** Connections refused so far. */
  long refusedConnections() {
    return refused.get();
  }

  private IllegalStateException refuse(String ip, String why) {
    long n = refused.incrementAndGet();
    long now = System.nanoTime();
    if (now - lastLogNanos >= LOG_INTERVAL_NANOS) {
      lastLogNanos = now;
      LOG.warn("closing a new client connection from {}: {} ({} refused so far)", ip, why, n);
    }
    // Thrown out of transportReady, this makes the transport close the connection.
    return new IllegalStateException("connection refused: " + why);
  }

  private static String ipOf(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      InetAddress a = inet.getAddress();
      return a != null ? a.getHostAddress() : inet.getHostString();
    }
    return String.valueOf(address);
  }
}
