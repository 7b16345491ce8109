package io.sluice.client;

import io.grpc.Status;

/**
 * A consumer group refused an offset commit, or an atomic write carrying one: the member is no
 * longer part of the group ({@link #reason()} UNKNOWN_MEMBER_ID), its generation is no longer
 * the group's current one because a rebalance happened since (ILLEGAL_GENERATION), or it already
 * rejoined a rebalance in progress, so its partitions are revoked (REBALANCE_IN_PROGRESS). Nothing was
 * written, neither the offsets nor the records sent with them ({@link #writeOutcome()}
 * NOT_WRITTEN). Not retriable as is: the member must rejoin the group, and re-process from the
 * group's committed offsets what it had not committed. Thread-safe.
 */
public class CommitFailedException extends SluiceException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what was fenced and what to do
   * @param cause underlying cause, or null
   * @param code   FAILED_PRECONDITION when the server answered
   * @param reason "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID" or "REBALANCE_IN_PROGRESS"
   */
  public CommitFailedException(String message, Status.Code code, String reason, Throwable cause) {
    super(message, code, reason, WriteOutcome.NOT_WRITTEN, false, cause);
  }
}
