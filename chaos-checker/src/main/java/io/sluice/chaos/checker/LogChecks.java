package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.chaos.checker.Facts.NodeRead;
import io.sluice.chaos.checker.Facts.Observation;
import io.sluice.chaos.checker.Facts.Position;
import io.sluice.chaos.checker.Facts.TopicPartition;
import io.sluice.chaos.checker.Facts.Write;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.chaos.history.Operation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks of what the log holds: lost-write, unseen, duplicate, inconsistent-offsets, aborted-read,
 * phantom-read, partial-atomic and replica-divergence.
 */
final class LogChecks {

  private final Facts facts;
  private final Findings findings;

  LogChecks(Facts facts, Findings findings) {
    this.facts = facts;
    this.findings = findings;
  }

  void run() {
    Set<String> lost = lostWrites();
    unseen(lost);
    duplicates();
    inconsistentOffsets();
    abortedAndPhantomReads();
    partialAtomics();
    replicaDivergence();
  }

  /** Values observed at an offset (ack or poll) that a final read covering that offset lacks. */
  private Set<String> lostWrites() {
    Set<String> lost = new LinkedHashSet<>();
    for (Map.Entry<String, List<Observation>> entry : facts.observationsByValue.entrySet()) {
      String value = entry.getKey();
      Set<String> nodesHolding = new TreeSet<>();
      Set<Position> claimed = new LinkedHashSet<>();
      for (Observation observation : entry.getValue()) {
        if (observation.source() == Facts.Source.FINAL) {
          nodesHolding.add(observation.where() + "|" + observation.position().tp());
        } else {
          claimed.add(observation.position());
        }
      }
      Set<String> missingOn = new TreeSet<>();
      Position missingAt = null;
      for (Position position : claimed) {
        for (NodeRead read : facts.finalReads(position.tp())) {
          if (read.covers(position.offset()) && !nodesHolding.contains(read.node() + "|" + position.tp())) {
            missingOn.add(read.node());
            missingAt = position;
          }
        }
      }
      if (!missingOn.isEmpty()) {
        lost.add(value);
        ObjectNode details = Json.position(missingAt);
        details.put("value", value);
        details.set("missing_on_nodes", Json.strings(missingOn));
        details.set("observed", observationsJson(entry.getValue()));
        findings.add(AnomalyKind.LOST_WRITE, "value " + value + " was observed at " + missingAt
            + " (" + describe(entry.getValue()) + ") but the final read of node(s) " + missingOn
            + " covers that offset and does not hold it", details);
      }
    }
    return lost;
  }

  private void unseen(Set<String> lost) {
    for (Write write : facts.writeByValue.values()) {
      if (write.outcome() != OpType.OK || lost.contains(write.value()) || facts.wasRead(write.value())) {
        continue;
      }
      ObjectNode details = Json.position(write.ackedPosition());
      details.put("value", write.value());
      details.put("op", write.op().id());
      details.put("process", write.op().process());
      boolean anyFinalRead = !facts.finalReads(write.ackedPosition().tp()).isEmpty();
      findings.add(AnomalyKind.UNSEEN, "value " + write.value() + " was acknowledged at " + write.ackedPosition()
          + " but no poll and no final read returned it"
          + (anyFinalRead ? "" : " (no final read of that partition succeeded)"), details);
    }
  }

  private void duplicates() {
    for (Map.Entry<String, List<Observation>> entry : facts.observationsByValue.entrySet()) {
      Map<Position, List<Observation>> positions = new LinkedHashMap<>();
      for (Observation observation : entry.getValue()) {
        positions.computeIfAbsent(observation.position(), k -> new ArrayList<>()).add(observation);
      }
      if (positions.size() > 1) {
        ObjectNode details = Json.object();
        details.put("value", entry.getKey());
        details.set("observed", observationsJson(entry.getValue()));
        findings.add(AnomalyKind.DUPLICATE, "value " + entry.getKey() + " is at " + positions.size()
            + " offsets: " + positions.keySet() + " (" + describe(entry.getValue()) + ")", details);
      }
    }
  }

  private void inconsistentOffsets() {
    for (Map.Entry<Position, Map<String, List<Observation>>> entry : facts.valuesByPosition.entrySet()) {
      Map<String, List<Observation>> values = entry.getValue();
      if (values.size() > 1) {
        List<Observation> all = new ArrayList<>();
        values.values().forEach(all::addAll);
        ObjectNode details = Json.position(entry.getKey());
        details.set("values", Json.strings(values.keySet()));
        details.set("observed", observationsJson(all));
        findings.add(AnomalyKind.INCONSISTENT_OFFSETS, "offset " + entry.getKey() + " holds " + values.size()
            + " different values: " + values.keySet() + " (" + describe(all) + ")", details);
      }
    }
  }

  private void abortedAndPhantomReads() {
    for (Map.Entry<String, List<Observation>> entry : facts.observationsByValue.entrySet()) {
      String value = entry.getKey();
      List<Observation> reads = entry.getValue().stream().filter(Observation::isRead).toList();
      if (reads.isEmpty()) {
        continue;
      }
      Write write = facts.writeByValue.get(value);
      ObjectNode details = Json.object();
      details.put("value", value);
      details.set("observed", observationsJson(reads));
      if (write == null) {
        findings.add(AnomalyKind.PHANTOM_READ, "value " + value + " was read (" + describe(reads)
            + ") but no operation in the history sent it", details);
      } else if (write.outcome() == OpType.FAIL) {
        details.put("op", write.op().id());
        details.put("error", Objects.toString(write.op().completion().error(), ""));
        findings.add(AnomalyKind.ABORTED_READ, "value " + value + " was read (" + describe(reads)
            + ") although its " + write.op().f().jsonName() + " (op " + write.op().id() + ") failed: "
            + write.op().completion().error(), details);
      }
    }
  }

  /** Components visible somewhere versus components that a final read shows are absent. */
  private void partialAtomics() {
    for (Operation op : facts.atomics) {
      List<OpValue.Send> sends = ((OpValue.Atomic) op.invoke().value()).sends();
      List<String> visible = new ArrayList<>();
      List<String> absent = new ArrayList<>();
      for (OpValue.Send send : sends) {
        Write write = facts.writeByValue.get(send.value());
        if (facts.wasRead(send.value())) {
          visible.add(send.value());
        } else if (certainlyAbsent(write)) {
          absent.add(send.value());
        }
      }
      if (!visible.isEmpty() && !absent.isEmpty()) {
        ObjectNode details = Json.object();
        details.put("op", op.id());
        details.put("process", op.process());
        details.put("outcome", op.outcome() == null ? "pending" : op.outcome().jsonName());
        details.set("visible", Json.strings(visible));
        details.set("absent", Json.strings(absent));
        findings.add(AnomalyKind.PARTIAL_ATOMIC, "atomic write op " + op.id() + " of " + op.process() + " ("
            + details.get("outcome").asText() + "): " + visible.size() + " of " + sends.size()
            + " records visible " + visible + ", absent from final reads " + absent, details);
      }
    }
  }

  /** Whether some final read proves the record is not in the log. */
  private boolean certainlyAbsent(Write write) {
    Position acked = write.ackedPosition();
    if (acked != null) {
      return facts.finalReads(acked.tp()).stream().anyMatch(r -> r.covers(acked.offset()));
    }
    TopicPartition tp = write.knownPartition();
    for (Map.Entry<TopicPartition, List<NodeRead>> entry : facts.finalReads.entrySet()) {
      boolean candidate = tp != null ? entry.getKey().equals(tp) : entry.getKey().topic().equals(write.invoked().topic());
      if (candidate && entry.getValue().stream().anyMatch(r -> r.startOffset() == 0)) {
        return true;
      }
    }
    return false;
  }

  private void replicaDivergence() {
    for (Map.Entry<TopicPartition, List<NodeRead>> entry : facts.finalReads.entrySet()) {
      List<NodeRead> reads = entry.getValue();
      for (int i = 0; i < reads.size(); i++) {
        for (int j = i + 1; j < reads.size(); j++) {
          compareReplicas(entry.getKey(), reads.get(i), reads.get(j));
        }
      }
    }
  }

  private void compareReplicas(TopicPartition tp, NodeRead a, NodeRead b) {
    long from = Math.max(a.startOffset(), b.startOffset());
    long to = Math.min(a.endOffset(), b.endOffset());
    long differing = 0;
    long first = -1;
    for (long offset = from; offset < to; offset++) {
      if (!Objects.equals(a.valueAt().get(offset), b.valueAt().get(offset))) {
        differing++;
        if (first < 0) {
          first = offset;
        }
      }
    }
    if (differing == 0) {
      // One log is a prefix of the other: a replica that had not caught up when it was read. That
      // is not a safety violation; Liveness reports it (the reads come after the settle wait).
      return;
    }
    ObjectNode details = Json.object();
    details.put("topic", tp.topic());
    details.put("partition", tp.partition());
    details.set("nodes", Json.strings(List.of(a.node(), b.node())));
    details.put("end_offset_" + a.node(), a.endOffset());
    details.put("end_offset_" + b.node(), b.endOffset());
    details.put("differing_offsets", differing);
    StringBuilder message = new StringBuilder("nodes " + a.node() + " and " + b.node() + " differ on " + tp + ":");
    if (a.endOffset() != b.endOffset()) {
      message.append(" end offsets ").append(a.endOffset()).append(" vs ").append(b.endOffset()).append(';');
    }
    if (differing > 0) {
      details.put("first_differing_offset", first);
      details.put("value_" + a.node(), a.valueAt().get(first));
      details.put("value_" + b.node(), b.valueAt().get(first));
      message.append(' ').append(differing).append(" offsets differ, first ").append(first).append(": ")
          .append(a.valueAt().get(first)).append(" vs ").append(b.valueAt().get(first));
    }
    findings.add(AnomalyKind.REPLICA_DIVERGENCE, message.toString(), details);
  }

  private static ArrayNode observationsJson(List<Observation> observations) {
    ArrayNode array = Json.object().arrayNode();
    int shown = 0;
    for (Observation observation : observations) {
      if (shown++ == 10) {
        break;
      }
      array.add(Json.observation(observation));
    }
    return array;
  }

  /** "ack by p1 at t/0@5; final on n1 at t/0@9" — at most five observations. */
  static String describe(List<Observation> observations) {
    StringBuilder text = new StringBuilder();
    int shown = 0;
    for (Observation observation : observations) {
      if (shown == 5) {
        text.append("; … ").append(observations.size() - shown).append(" more");
        break;
      }
      if (shown++ > 0) {
        text.append("; ");
      }
      text.append(observation.source().jsonName())
          .append(observation.source() == Facts.Source.FINAL ? " on " : " by ")
          .append(observation.where()).append(" at ").append(observation.position());
    }
    return text.toString();
  }
}
