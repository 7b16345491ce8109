package io.sluice.client;

import io.grpc.Status;

/**
 * The node asked is not the Raft leader (FAILED_PRECONDITION, reason NOT_LEADER). Not written;
 * retriable on the leader. {@link #leaderAddress()} is the leader's client address when the node
 * knew it. Immutable and thread-safe.
 */
public class NotLeaderException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /** The leader's node id, or null. */
  private final String leaderId;
  /** The leader's client address, or null. */
  private final String leaderAddress;

  /**
   * @param message what was refused
   * @param writeOutcome NOT_WRITTEN for writes, NOT_A_WRITE otherwise
   * @param cause underlying cause, or null
   * @param leaderId      id of the leader, or null when unknown
   * @param leaderAddress host:port of the leader's client API, or null when unknown
   */
  public NotLeaderException(String message, String leaderId, String leaderAddress,
      WriteOutcome writeOutcome, Throwable cause) {
    super(message, Status.Code.FAILED_PRECONDITION, "NOT_LEADER", writeOutcome, true, cause);
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
  }

  /**
   * Id of the leader as the answering node knew it, or null.
   *
   * @return id of the leader as the answering node knew it, or null
   */
  public String leaderId() {
    return leaderId;
  }

  /**
   * host:port of the leader's client API as the answering node knew it, or null.
   *
   * @return host:port of the leader's client API as the answering node knew it, or null
   */
  public String leaderAddress() {
    return leaderAddress;
  }
}
