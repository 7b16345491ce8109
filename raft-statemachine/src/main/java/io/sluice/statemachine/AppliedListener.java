package io.sluice.statemachine;

/**
 * Told after every Raft entry is applied (commands, configuration entries, installed snapshots),
 * so that long-poll fetches and consistency-token waits wake up. Called on the applying thread:
 * implementations must return quickly and never block.
 */
@FunctionalInterface
public interface AppliedListener {
  void onApplied(long raftIndex);
}
