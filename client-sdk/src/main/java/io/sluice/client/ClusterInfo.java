package io.sluice.client;

import java.util.List;

/**
 * The cluster's members as one node sees them. Immutable.
 *
 * @param clusterId cluster identifier
 * @param leaderId  id of the current leader, or null when unknown
 * @param nodes     members of the Raft group
 */
public record ClusterInfo(String clusterId, String leaderId, List<NodeInfo> nodes) {
  /**
   * Copies {@code nodes}; {@code clusterId} and {@code nodes} must not be null.
   *
   * @param clusterId cluster identifier
   * @param leaderId  id of the current leader, or null when unknown
   * @param nodes     members of the Raft group
   */
  public ClusterInfo {
    nodes = List.copyOf(nodes);
  }
}
