package io.sluice.client;

import java.util.List;

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
 * @param diskUsedBytes bytes of the files under the node's data directory (hard links once)
 * @param followers     on the leader, every other member's progress; empty on other nodes
 */
public record NodeStatus(String id, String role, long term, long commitIndex, long appliedIndex,
    String leaderId, long snapshotIndex, String clientAddress, String raftAddress, long pid,
    long diskUsedBytes, List<FollowerStatus> followers) {

  /**
   * Checks that the strings are not null.
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
   * @param diskUsedBytes bytes of the files under the node's data directory (hard links once)
   * @param followers     on the leader, every other member's progress; empty on other nodes
   */
  public NodeStatus {
    followers = List.copyOf(followers);
  }

  /**
   * A status without disk use or follower progress (as older nodes answer).
   *
   * @param id node id
   * @param role LEADER, FOLLOWER, CANDIDATE, LISTENER or UNKNOWN
   * @param term current Raft term
   * @param commitIndex highest Raft index known committed
   * @param appliedIndex highest Raft index applied
   * @param leaderId the leader it knows, or empty
   * @param snapshotIndex Raft index of its latest snapshot, or -1
   * @param clientAddress host:port of its client API
   * @param raftAddress host:port of its Raft endpoint
   * @param pid its process id
   */
  public NodeStatus(String id, String role, long term, long commitIndex, long appliedIndex,
      String leaderId, long snapshotIndex, String clientAddress, String raftAddress, long pid) {
    this(id, role, term, commitIndex, appliedIndex, leaderId, snapshotIndex, clientAddress, raftAddress, pid,
        0, List.of());
  }
}
