package io.sluice.statemachine;

/**
 * Told after a command that appended records was applied, so that long-poll fetches wake up.
 * Called on the applying thread: implementations must return quickly and never block.
 */
@FunctionalInterface
public interface AppendListener {
  void onApplied(long raftIndex);
}
