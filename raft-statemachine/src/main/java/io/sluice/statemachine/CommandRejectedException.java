package io.sluice.statemachine;

import io.sluice.api.v1.ErrorReason;

/**
 * A command refused before it entered the Raft log: certainly not written.
 * Carried as the cause of Ratis's StateMachineException back to the proposer.
 */
public final class CommandRejectedException extends Exception {
  private static final long serialVersionUID = 1L;
  private final ErrorReason reason;

  public CommandRejectedException(ErrorReason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public ErrorReason reason() {
    return reason;
  }
}
