package io.sluice.chaos.workload;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One plaintext gRPC channel per node address, for the calls the workload makes to a chosen node
 * (atomic writes to the leader, final reads from each node). Thread-safe.
 */
final class NodeChannels implements AutoCloseable {

  private static final int INBOUND_MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address, NodeChannels::open);
  }

  private static ManagedChannel open(String address) {
    int colon = address.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("not a host:port address: " + address);
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return NettyChannelBuilder.forAddress(host, Integer.parseInt(address.substring(colon + 1)))
        .usePlaintext()
        .maxInboundMessageSize(INBOUND_MESSAGE_BYTES_MAX)
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
