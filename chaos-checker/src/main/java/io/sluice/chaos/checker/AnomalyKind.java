package io.sluice.chaos.checker;

/**
 * The safety anomalies the checker looks for. Each has the name used in the verdict's JSON.
 * "Observed at an offset" below means: acknowledged there (a send's ok), or read there (a poll or
 * a final read).
 */
public enum AnomalyKind {
  /**
   * A value observed at an offset (acknowledged, or read by a consumer) is missing from a final read
   * of its partition that covers that offset.
   */
  LOST_WRITE("lost-write"),
  /** An acknowledged value that no poll and no final read ever returned (and that is not lost-write). */
  UNSEEN("unseen"),
  /** One value observed at two different offsets. */
  DUPLICATE("duplicate"),
  /** Two different values observed at one offset (across acks, polls and nodes). */
  INCONSISTENT_OFFSETS("inconsistent-offsets"),
  /** A value whose write certainly failed ({@code fail}) was read. */
  ABORTED_READ("aborted-read"),
  /** A value was read that no operation of the history ever sent (corruption, or another writer). */
  PHANTOM_READ("phantom-read"),
  /** A later acknowledged send of one process to one partition got an earlier offset. */
  NONMONOTONIC_SEND("nonmonotonic-send"),
  /** Send A acknowledged before send B was invoked, same partition, yet offset(A) &gt; offset(B). */
  REALTIME_ORDER("realtime-order"),
  /** A consumer's successive reads of a partition jumped over offsets that hold records. */
  POLL_SKIP("poll-skip"),
  /** A consumer read an offset at or before one it had already read, without a new assignment. */
  NONMONOTONIC_POLL("nonmonotonic-poll"),
  /** Some, but not all, records of one atomic write are visible. */
  PARTIAL_ATOMIC("partial-atomic"),
  /** A group's committed offset moved backwards. */
  COMMIT_REGRESSION("commit-regression"),
  /** A group poll returned a record below an offset the group had committed before the poll began. */
  GROUP_REDELIVERY("group-redelivery"),
  /**
   * Final reads of one partition from different nodes hold different records at an offset both
   * reach. (A replica whose log is a shorter prefix of another's had not caught up: a liveness
   * problem, see {@link Liveness}.)
   */
  REPLICA_DIVERGENCE("replica-divergence");

  private final String jsonName;

  AnomalyKind(String jsonName) {
    this.jsonName = jsonName;
  }

  public String jsonName() {
    return jsonName;
  }

  public static AnomalyKind fromJsonName(String name) {
    for (AnomalyKind kind : values()) {
      if (kind.jsonName.equals(name)) {
        return kind;
      }
    }
    return null;
  }
}
