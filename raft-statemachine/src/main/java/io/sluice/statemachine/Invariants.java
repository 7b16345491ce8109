package io.sluice.statemachine;

/**
 * Invariant checks that stay on in production (Java's {@code assert} is off by default).
 * A failed invariant means corrupted state or a bug: it throws {@link IllegalStateException}.
 */
public final class Invariants {
  private Invariants() {}

  public static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new IllegalStateException("invariant violated: " + String.format(format, args));
    }
  }
}
