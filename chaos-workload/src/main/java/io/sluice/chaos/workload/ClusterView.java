package io.sluice.chaos.workload;

import io.sluice.client.Admin;
import io.sluice.client.ClusterInfo;
import io.sluice.client.NodeInfo;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cluster's nodes and leader as the workload reaches them: ids from DescribeCluster, addresses
 * from {@link WorkloadConfig#nodeAddresses()} when given, else as advertised. Thread-safe.
 */
final class ClusterView {

  private final Admin admin;
  private final Map<String, String> overrides;
  private final Duration timeout;
  private volatile String leaderAddress;

  ClusterView(Admin admin, Map<String, String> overrides, Duration timeout) {
    this.admin = admin;
    this.overrides = overrides;
    this.timeout = timeout;
  }

  /** Node id → client address of every voting and listening member (empty if the cluster does not answer). */
  Map<String, String> nodes() throws Exception {
    ClusterInfo cluster = describe();
    Map<String, String> nodes = new LinkedHashMap<>();
    for (NodeInfo node : cluster.nodes()) {
      String address = overrides.getOrDefault(node.id(), node.clientAddress());
      if (address != null && !address.isEmpty()) {
        nodes.put(node.id(), address);
      }
    }
    return nodes;
  }

  /** The leader's client address, or null when no leader is known. Cached until {@link #forgetLeader()}. */
  String leaderAddress() {
    String cached = leaderAddress;
    if (cached != null) {
      return cached;
    }
    try {
      ClusterInfo cluster = describe();
      if (cluster.leaderId() == null) {
        return null;
      }
      for (NodeInfo node : cluster.nodes()) {
        if (node.id().equals(cluster.leaderId())) {
          leaderAddress = overrides.getOrDefault(node.id(), node.clientAddress());
          return leaderAddress;
        }
      }
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  void forgetLeader() {
    leaderAddress = null;
  }

  private ClusterInfo describe() throws Exception {
    return admin.describeCluster().get(timeout.toMillis() * 3, TimeUnit.MILLISECONDS);
  }
}
