package io.sluice.client;

import io.grpc.Status;

/**
 * A membership change or leadership transfer was refused or could not be completed; nothing was
 * changed unless the message says otherwise. {@link #reason()} says why:
 * <ul>
 *   <li>UNKNOWN_NODE: no member has the id;
 *   <li>NODE_EXISTS: the id or Raft address is already a member's;
 *   <li>QUORUM_AT_RISK: the remaining voters would not have a reachable majority;
 *   <li>NODE_NOT_CAUGHT_UP: the node being added did not answer (membership unchanged), or was
 *       added as a listener but did not catch up in time (add it again to promote it);
 *   <li>LEADER_TRANSFER_FAILED: the leader is unchanged;
 *   <li>RECONFIGURATION_IN_PROGRESS: another change is under way; the only retriable reason.
 * </ul>
 * Thread-safe.
 */
public class MembershipException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what was refused and why
   * @param code gRPC status code of the answer, or null
   * @param reason ErrorReason name such as "QUORUM_AT_RISK"
   * @param cause underlying cause, or null
   */
  public MembershipException(String message, Status.Code code, String reason, Throwable cause) {
    super(message, code, reason, WriteOutcome.NOT_WRITTEN, "RECONFIGURATION_IN_PROGRESS".equals(reason), cause);
  }
}
