package io.sluice.statemachine;

/**
 * Told when this node learns of a new Raft leader (itself included): once per leader change it
 * sees, never for "no leader". Called on a Ratis thread: implementations must return quickly and
 * never block.
 */
@FunctionalInterface
public interface LeaderChangeListener {
  void onLeaderChanged(String leaderId);
}
