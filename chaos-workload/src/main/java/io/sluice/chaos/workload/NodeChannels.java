package io.sluice.chaos.workload;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One gRPC channel (plaintext, or TLS per {@link WorkloadConfig#tls()}) per node address, for the calls the workload makes to a chosen node
 * (atomic writes to the leader, final reads from each node). Thread-safe.
 */
final class NodeChannels implements AutoCloseable {

  private static final int INBOUND_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final ChannelCredentials credentials; // null: plaintext

  NodeChannels() {
    this(null);
  }

  /** @param tls TLS settings, or null for plaintext */
  NodeChannels(WorkloadConfig.Tls tls) {
    if (tls == null) {
      credentials = null;
      return;
    }
    try {
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(tls.caPem().toFile());
      if (tls.certPem() != null) {
        b.keyManager(tls.certPem().toFile(), tls.keyPem().toFile());
      }
      credentials = b.build();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the workload's TLS files " + tls + ": " + e.getMessage(), e);
    }
  }

  ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address, this::open);
  }

  private ManagedChannel open(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("not a host:port address: " + address);
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = Integer.parseInt(address.substring(colon + 1));
    NettyChannelBuilder b = credentials == null ? NettyChannelBuilder.forAddress(host, port).usePlaintext()
        : NettyChannelBuilder.forAddress(host, port, credentials);
    return b.maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
        .build();
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels.values()) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels.values()) {
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
