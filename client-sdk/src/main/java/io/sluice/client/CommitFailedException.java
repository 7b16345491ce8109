package io.sluice.client;

import io.grpc.Status;

/**
 * The consumer group fenced an offset commit (or an atomic write carrying one): the member's
 * generation is no longer the group's (ILLEGAL_GENERATION: a rebalance happened), the member is no
 * longer in the group (UNKNOWN_MEMBER_ID: it left or was expired), or it already rejoined a
 * rebalance in progress (REBALANCE_IN_PROGRESS). Nothing was written. Not retriable as such: the
 * partitions may now belong to another member, which resumes from the last successful commit, so
 * records processed since then are delivered again (at-least-once). Thread-safe.
 */
public class CommitFailedException extends SluiceException {
  private static final long serialVersionUID = 1L;

  public CommitFailedException(String message, Status.Code code, String reason, Throwable cause) {
    super(message, code, reason, WriteOutcome.NOT_WRITTEN, false, cause);
  }
}
