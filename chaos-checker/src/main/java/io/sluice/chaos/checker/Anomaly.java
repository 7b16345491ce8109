package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * One anomaly found: its kind, a sentence a person can act on, and the facts behind it as JSON
 * (values, offsets, nodes, op ids and event indexes to look up in the history).
 */
public record Anomaly(AnomalyKind kind, String message, ObjectNode details) {
  public Anomaly {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(details, "details");
  }
}
