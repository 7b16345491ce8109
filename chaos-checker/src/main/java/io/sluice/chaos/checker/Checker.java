package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryFormatException;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.Operation;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks a history against Sluice's promises: no acknowledged record lost, duplicated or reordered;
 * no failed write visible; atomic writes all-or-nothing; consumers that neither skip nor go back;
 * group commits that never regress; replicas that agree; and, separately, liveness.
 *
 * <p>An indeterminate ({@code info}) write may or may not be in the log, but if it is, it appears at
 * most once and (for atomic writes) in full. See {@link AnomalyKind} for each rule and
 * docs/history-format.md for the input. Stateless and thread-safe; one call checks one history in
 * time and memory linear in its size (plus a sort per partition).
 */
public final class Checker {

  private final CheckerOptions options;

  public Checker(CheckerOptions options) {
    this.options = options;
  }

  public Checker() {
    this(CheckerOptions.defaults());
  }

  /**
   * @throws HistoryFormatException when the history cannot be checked (values sent twice, an ok
   *     without the offsets it must carry)
   */
  public Verdict check(History history) {
    Facts facts = Facts.of(history);
    Findings findings = new Findings(options.examplesPerKindMax());
    new LogChecks(facts, findings).run();
    new OrderChecks(facts, findings).run();
    new ConsumerChecks(facts, findings).run();
    Liveness liveness = Liveness.check(history, facts, options);
    return new Verdict(findings, liveness, stats(history, facts));
  }

  private static ObjectNode stats(History history, Facts facts) {
    ObjectNode json = Json.object();
    json.put("events", history.events().size());
    json.put("duration_ns", history.endNs());
    Map<OpFunction, long[]> outcomes = new EnumMap<>(OpFunction.class);
    for (Operation op : history.operations()) {
      long[] counts = outcomes.computeIfAbsent(op.f(), k -> new long[4]);
      counts[op.outcome() == null ? 3 : op.outcome().ordinal() - 1]++;
    }
    ObjectNode ops = json.putObject("operations");
    outcomes.forEach((f, counts) -> {
      ObjectNode byOutcome = ops.putObject(f.jsonName());
      byOutcome.put(OpType.OK.jsonName(), counts[0]);
      byOutcome.put(OpType.FAIL.jsonName(), counts[1]);
      byOutcome.put(OpType.INFO.jsonName(), counts[2]);
      byOutcome.put("pending", counts[3]);
    });
    long indeterminate = 0;
    long indeterminateSeen = 0;
    for (Facts.Write write : facts.writeByValue.values()) {
      if (write.outcome() == OpType.INFO || write.outcome() == null) {
        indeterminate++;
        if (facts.wasRead(write.value())) {
          indeterminateSeen++;
        }
      }
    }
    json.put("records_written", facts.writeByValue.size());
    json.put("indeterminate_records", indeterminate);
    json.put("indeterminate_records_seen", indeterminateSeen);
    long reads = facts.observationsByValue.values().stream()
        .flatMap(java.util.List::stream).filter(Facts.Observation::isRead).count();
    json.put("records_read", reads);
    json.put("partitions_final_read", facts.finalReads.size());
    TreeSet<String> nodes = new TreeSet<>();
    facts.finalReads.values().forEach(list -> list.forEach(r -> nodes.add(r.node())));
    json.set("nodes_final_read", Json.strings(nodes));
    json.put("faults", history.observations(OpFunction.NEMESIS).stream()
        .filter(e -> ((io.sluice.chaos.history.OpValue.Nemesis) e.value()).isStart()).count());
    return json;
  }
}
