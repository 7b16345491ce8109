package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Counts anomalies per kind and keeps the first few of each as examples. Not thread-safe. */
final class Findings {

  private final int examplesMax;
  private final Map<AnomalyKind, Long> counts = new EnumMap<>(AnomalyKind.class);
  private final Map<AnomalyKind, List<Anomaly>> examples = new EnumMap<>(AnomalyKind.class);

  Findings(int examplesMax) {
    this.examplesMax = examplesMax;
    for (AnomalyKind kind : AnomalyKind.values()) {
      counts.put(kind, 0L);
      examples.put(kind, new ArrayList<>());
    }
  }

  void add(AnomalyKind kind, String message, ObjectNode details) {
    counts.merge(kind, 1L, Long::sum);
    List<Anomaly> kept = examples.get(kind);
    if (kept.size() < examplesMax) {
      kept.add(new Anomaly(kind, message, details));
    }
  }

  long count(AnomalyKind kind) {
    return counts.get(kind);
  }

  List<Anomaly> examples(AnomalyKind kind) {
    return Collections.unmodifiableList(examples.get(kind));
  }
}
