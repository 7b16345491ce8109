package io.sluice.client;

/**
 * One member of the cluster. Immutable.
 *
 * @param id            node id, e.g. "n1"
 * @param raftAddress   host:port of the node's Raft endpoint
 * @param clientAddress host:port of the node's client API; empty until the node registered it
 */
public record NodeInfo(String id, String raftAddress, String clientAddress) {}
