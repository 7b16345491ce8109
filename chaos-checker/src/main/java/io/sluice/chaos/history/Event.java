package io.sluice.chaos.history;

import java.util.Objects;

/**
 * One line of a history: an immutable event.
 *
 * @param index position in the history, strictly increasing from 0
 * @param timeNs monotonic nanoseconds since the history started (non-decreasing with index)
 * @param process who did it: a client ("p3", "c1"), "nemesis", "final", ...
 * @param type invoke, ok, fail or info
 * @param f the operation's function; also gives the type of {@code value}
 * @param op the operation's id, shared by its invoke and its completion; -1 on observation events
 *     (and on completions of histories that pair by process, as Jepsen does)
 * @param value the operation's value; may be null on fail/info
 * @param error why a fail/info happened (free text), or null
 */
public record Event(
    long index,
    long timeNs,
    String process,
    OpType type,
    OpFunction f,
    long op,
    OpValue value,
    String error) {

  public static final long NO_OP = -1;

  public Event {
    Objects.requireNonNull(process, "process");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
    if (value != null && value.function() != f) {
      throw new IllegalArgumentException("value " + value.function() + " does not match f " + f);
    }
  }
}
