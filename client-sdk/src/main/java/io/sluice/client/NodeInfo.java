package io.sluice.client;

/**
 * One member of the cluster. Immutable.
 *
 * @param id            node id, e.g. "n1"
 * @param raftAddress   host:port of the node's Raft endpoint
 * @param clientAddress host:port of the node's client API; empty until the node registered it
 * @param listener      true for a non-voting member: a node being added receives the log as a
 *                      listener until it has caught up, then becomes a voter
 */
public record NodeInfo(String id, String raftAddress, String clientAddress, boolean listener) {
  /**
   * A voting member.
   *
   * @param id node id
   * @param raftAddress host:port of its Raft endpoint
   * @param clientAddress host:port of its client API, or empty when not yet registered
   */
  public NodeInfo(String id, String raftAddress, String clientAddress) {
    this(id, raftAddress, clientAddress, false);
  }
}
