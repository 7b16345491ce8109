package io.sluice.node.metrics;

import io.sluice.node.http.JsonText;

/**
 * Whether a node should receive traffic: it has joined the Raft group (its Raft server runs and
 * it is in the current configuration), it knows a leader (and, when it is the leader, has
 * committed an entry of its own term, so it can serve writes), and it has applied up to the
 * commit index within a bound ({@code health.ready.apply.lag.entries.max}), so its reads are
 * not far behind.
 *
 * <p>{@link #judge} is a pure function of an observed {@link State}; immutable and thread-safe.
 */
public final class Readiness {
  private Readiness() {}

  /**
   * What the node looked like at one moment.
   *
   * @param raftRunning the Raft server's division for the group exists and is running
   * @param member      this node is in the group's current configuration
   * @param leaderId    the leader this node knows, or null
   * @param leader      this node is the leader
   * @param leaderReady when the leader: it has applied an entry of its current term
   */
  public record State(boolean raftRunning, boolean member, String leaderId, boolean leader, boolean leaderReady,
      long term, long commitIndex, long appliedIndex) {
    /** A node whose Raft state could not be read at all. */
    public static State unavailable() {
      return new State(false, false, null, false, false, -1, -1, -1);
    }
  }

  /** The answer: ready or not, why not, and what was seen. */
  public record Verdict(boolean ready, String reason, State state) {
    /** The body of {@code /health/ready}. */
    public String toJson(String nodeId) {
      return "{\"ready\":" + ready + ",\"node\":" + JsonText.quote(nodeId)
          + (ready ? "" : ",\"reason\":" + JsonText.quote(reason))
          + ",\"leader\":" + JsonText.quote(state.leaderId())
          + ",\"term\":" + state.term()
          + ",\"commit_index\":" + state.commitIndex()
          + ",\"applied_index\":" + state.appliedIndex() + "}";
    }
  }

  public static Verdict judge(State s, long applyLagEntriesMax) {
    if (!s.raftRunning()) {
      return new Verdict(false, "the Raft server is not running (starting, or stopping)", s);
    }
    if (!s.member()) {
      return new Verdict(false, "this node is not in the Raft group's configuration", s);
    }
    if (s.leaderId() == null) {
      return new Verdict(false, "no leader known (election in progress, or no majority reachable)", s);
    }
    if (s.leader() && !s.leaderReady()) {
      return new Verdict(false, "elected leader, but no entry of its term is applied yet", s);
    }
    long lag = s.commitIndex() - s.appliedIndex();
    if (lag > applyLagEntriesMax) {
      return new Verdict(false, "applied index " + s.appliedIndex() + " is " + lag + " entries behind the commit index "
          + s.commitIndex() + " (more than health.ready.apply.lag.entries.max " + applyLagEntriesMax + ")", s);
    }
    return new Verdict(true, "", s);
  }
}
