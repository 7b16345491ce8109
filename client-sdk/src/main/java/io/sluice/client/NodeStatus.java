package io.sluice.client;

/**
 * One node's own Raft status. Immutable.
 *
 * @param id            node id
 * @param role          LEADER, FOLLOWER, CANDIDATE, LISTENER or UNKNOWN
 * @param term          current Raft term
 * @param commitIndex   highest Raft log index known committed on this node
 * @param appliedIndex  highest Raft log index applied to this node's state machine
 * @param leaderId      current leader's id, empty when unknown
 * @param snapshotIndex index covered by the node's latest snapshot, -1 when none
 * @param clientAddress host:port of the node's client API
 * @param raftAddress   host:port of the node's Raft endpoint
 * @param pid           process id of the node
 */
public record NodeStatus(String id, String role, long term, long commitIndex, long appliedIndex,
    String leaderId, long snapshotIndex, String clientAddress, String raftAddress, long pid) {}
