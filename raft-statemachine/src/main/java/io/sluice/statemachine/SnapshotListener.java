package io.sluice.statemachine;

import java.time.Duration;

/**
 * Told when a snapshot was taken on this node, or installed from the leader. Called on the
 * thread that did the work (Ratis's state-machine updater): implementations must return quickly
 * and never block.
 */
public interface SnapshotListener {
  /** A snapshot covering entries up to {@code index} was written, in {@code took}. */
  void onSnapshotTaken(long index, Duration took);

  /** A snapshot sent by the leader, covering entries up to {@code index}, was loaded. */
  default void onSnapshotInstalled(long index) {}
}
