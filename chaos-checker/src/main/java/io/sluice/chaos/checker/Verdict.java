package io.sluice.chaos.checker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The result of checking a history: per anomaly kind a count and a few examples, the liveness
 * result, and statistics. {@link #valid()} only when no anomaly was found and liveness holds.
 * Immutable; thread-safe.
 */
public final class Verdict {

  private final Map<AnomalyKind, Long> counts;
  private final Map<AnomalyKind, List<Anomaly>> examples;
  private final Liveness liveness;
  private final ObjectNode stats;

  Verdict(Findings findings, Liveness liveness, ObjectNode stats) {
    Map<AnomalyKind, Long> counts = new EnumMap<>(AnomalyKind.class);
    Map<AnomalyKind, List<Anomaly>> examples = new EnumMap<>(AnomalyKind.class);
    for (AnomalyKind kind : AnomalyKind.values()) {
      counts.put(kind, findings.count(kind));
      examples.put(kind, List.copyOf(findings.examples(kind)));
    }
    this.counts = Map.copyOf(counts);
    this.examples = Map.copyOf(examples);
    this.liveness = liveness;
    this.stats = stats.deepCopy();
  }

  /** No safety anomaly and liveness holds. */
  public boolean valid() {
    return safe() && liveness.valid();
  }

  /** No safety anomaly. */
  public boolean safe() {
    return counts.values().stream().allMatch(n -> n == 0);
  }

  public long count(AnomalyKind kind) {
    return counts.get(kind);
  }

  /** The first few anomalies of one kind (at most {@link CheckerOptions#examplesPerKindMax()}). */
  public List<Anomaly> examples(AnomalyKind kind) {
    return examples.get(kind);
  }

  public Liveness liveness() {
    return liveness;
  }

  /** Counts of operations by function and outcome, reads, faults (a copy). */
  public ObjectNode stats() {
    return stats.deepCopy();
  }

  /**
   * The verdict as JSON: {@code valid}, {@code safe}, {@code live}, {@code anomaly_counts} (every
   * kind), {@code anomalies} (examples of the kinds found), {@code liveness}, {@code stats}.
   */
  public ObjectNode toJson() {
    ObjectNode json = Json.object();
    json.put("valid", valid());
    json.put("safe", safe());
    json.put("live", liveness.valid());
    ObjectNode countsJson = json.putObject("anomaly_counts");
    ObjectNode examplesJson = Json.object();
    for (AnomalyKind kind : AnomalyKind.values()) {
      countsJson.put(kind.jsonName(), counts.get(kind));
      if (counts.get(kind) > 0) {
        ArrayNode list = examplesJson.putArray(kind.jsonName());
        for (Anomaly anomaly : examples.get(kind)) {
          ObjectNode example = list.addObject();
          example.put("message", anomaly.message());
          example.setAll(anomaly.details());
        }
      }
    }
    json.set("anomalies", examplesJson);
    json.set("liveness", liveness.toJson());
    json.set("stats", stats.deepCopy());
    return json;
  }

  /** {@link #toJson()} indented, for people and files. */
  public String toPrettyJson() {
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson());
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
