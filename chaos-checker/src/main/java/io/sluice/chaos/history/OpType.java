package io.sluice.chaos.history;

import java.util.Locale;

/**
 * The {@code type} of a history event.
 *
 * <ul>
 *   <li>{@link #INVOKE}: a client is about to start an operation.
 *   <li>{@link #OK}: the operation took effect; the value carries what it observed (offsets, reads).
 *   <li>{@link #FAIL}: the operation certainly did not take effect (a send that failed was certainly
 *       not written).
 *   <li>{@link #INFO}: the outcome is unknown (indeterminate): the write may or may not have happened.
 *       Also the type of single observation events ({@code nemesis}, {@code assign}) that have no invoke.
 * </ul>
 */
public enum OpType {
  INVOKE,
  OK,
  FAIL,
  INFO;

  /** The name used in the JSON format. */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a JSON name; {@code null} if it is not one. */
  public static OpType fromJsonName(String name) {
    for (OpType type : values()) {
      if (type.jsonName().equals(name)) {
        return type;
      }
    }
    return null;
  }

  /** Whether this type ends an operation (ok, fail or info after an invoke). */
  public boolean isCompletion() {
    return this != INVOKE;
  }
}
