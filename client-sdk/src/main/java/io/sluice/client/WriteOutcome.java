package io.sluice.client;

/**
 * What is known about whether a failed operation changed the log. Every {@link SluiceException}
 * carries one, so a caller (or a checker) can tell a clean rejection from an unknown outcome.
 * Immutable (an enum).
 */
public enum WriteOutcome {
  /** The write was rejected before it reached the Raft log: retrying cannot duplicate it. */
  NOT_WRITTEN,
  /**
   * The write may or may not have been committed (the request left the client and no definite
   * answer came back). Retrying may duplicate it.
   */
  UNKNOWN,
  /** The failed operation was a read; nothing was to be written. */
  NOT_A_WRITE
}
