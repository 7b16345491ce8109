package io.sluice.chaos;

import io.sluice.chaos.history.History;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.chaos.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safety checks the suite applies until the checker helper's full checker
 * ({@code io.sluice.chaos.checker}) is merged: lost-write, duplicate, inconsistent-offsets,
 * aborted-read, nonmonotonic-poll, replica-divergence, and liveness (every operation resolved,
 * writes acknowledged after the heal). Stateless; thread-safe.
 */
final class InterimChecker {
  private static final int EXAMPLES_MAX = 5;

  /** Anomalies by kind, each with up to five examples; empty means valid. */
  record Verdict(Map<String, Integer> counts, Map<String, List<String>> examples, long sendsOk, long sendsInfo,
      long sendsFail, long pollReads, long finalReads) {
    boolean valid() {
      return counts.isEmpty();
    }

    String toJson() {
      StringBuilder b = new StringBuilder("{\"valid\":").append(valid())
          .append(",\"checked\":{\"sends_ok\":").append(sendsOk).append(",\"sends_info\":").append(sendsInfo)
          .append(",\"sends_fail\":").append(sendsFail).append(",\"poll_reads\":").append(pollReads)
          .append(",\"final_reads\":").append(finalReads).append("},\"anomalies\":{");
      int i = 0;
      for (var e : counts.entrySet()) {
        b.append(i++ == 0 ? "" : ",").append('"').append(e.getKey()).append("\":{\"count\":").append(e.getValue())
            .append(",\"examples\":[");
        List<String> ex = examples.get(e.getKey());
        for (int j = 0; j < ex.size(); j++) {
          b.append(j == 0 ? "" : ",").append('"').append(ex.get(j).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        b.append("]}");
      }
      return b.append("}}").toString();
    }
  }

  private final Map<String, Integer> counts = new LinkedHashMap<>();
  private final Map<String, List<String>> examples = new LinkedHashMap<>();

  static Verdict check(History history, long healNs) {
    return new InterimChecker().run(history, healNs);
  }

  private void report(String kind, String example) {
    counts.merge(kind, 1, Integer::sum);
    List<String> ex = examples.computeIfAbsent(kind, k -> new ArrayList<>());
    if (ex.size() < EXAMPLES_MAX) {
      ex.add(example);
    }
  }

  private Verdict run(History history, long healNs) {
    Map<String, OpValue.Send> acked = new HashMap<>();
    Set<String> failed = new HashSet<>();
    long ok = 0;
    long info = 0;
    long fail = 0;
    long pollReads = 0;
    long finalReads = 0;
    boolean ackAfterHeal = false;
    // node -> "partition" -> offset -> value
    Map<String, Map<Integer, Map<Long, String>>> replicas = new LinkedHashMap<>();
    Map<Integer, Map<Long, String>> seenAt = new HashMap<>();
    Map<String, String> whereSeen = new HashMap<>();
    Map<Integer, Long> lastPolled = new HashMap<>();
    for (Operation op : history.operations()) {
      if (op.completion() == null) {
        report("pending", op.process() + " op " + op.id() + " " + op.f() + " never completed");
        continue;
      }
      if (op.f() == OpFunction.SEND) {
        OpValue.Send s = (OpValue.Send) op.value();
        if (op.outcome() == OpType.OK) {
          ok++;
          acked.put(s.value(), s);
          ackAfterHeal |= op.completeNs() > healNs;
        } else if (op.outcome() == OpType.FAIL) {
          fail++;
          failed.add(s.value());
        } else {
          info++;
        }
      } else if (op.f() == OpFunction.POLL && op.outcome() == OpType.OK) {
        for (OpValue.Read r : ((OpValue.Poll) op.value()).reads()) {
          pollReads++;
          observe(seenAt, whereSeen, r, "poll by " + op.process());
          long last = lastPolled.getOrDefault(r.partition(), -1L);
          if (r.offset() <= last) {
            report("nonmonotonic-poll", op.process() + " read partition " + r.partition() + " offset " + r.offset()
                + " after offset " + last);
          }
          lastPolled.put(r.partition(), r.offset());
          if (failed.contains(r.value())) {
            report("aborted-read", r.value() + " read by " + op.process() + " though its send failed");
          }
        }
      } else if (op.f() == OpFunction.FINAL_READ && op.outcome() == OpType.OK) {
        OpValue.FinalRead fr = (OpValue.FinalRead) op.value();
        Map<Long, String> log = replicas.computeIfAbsent(fr.node(), k -> new HashMap<>())
            .computeIfAbsent(fr.partition(), k -> new HashMap<>());
        for (OpValue.Read r : fr.reads()) {
          finalReads++;
          log.put(r.offset(), r.value());
          observe(seenAt, whereSeen, r, "final read of " + fr.node());
          if (failed.contains(r.value())) {
            report("aborted-read", r.value() + " in " + fr.node() + "'s log though its send failed");
          }
        }
      } else if (op.f() == OpFunction.FINAL_READ) {
        report("final-read-failed", op.invoke().value() + ": " + op.completion().error());
      }
    }
    // Every acknowledged value is in every node's log, at its acknowledged offset.
    for (OpValue.Send s : acked.values()) {
      for (var node : replicas.entrySet()) {
        String there = node.getValue().getOrDefault(s.partition(), Map.of()).get(s.offset());
        if (there == null) {
          report("lost-write", s.value() + " acknowledged at " + s.partition() + "/" + s.offset() + " missing from "
              + node.getKey());
        } else if (!there.equals(s.value())) {
          report("lost-write", s.value() + " acknowledged at " + s.partition() + "/" + s.offset() + " but "
              + node.getKey() + " holds " + there + " there");
        }
      }
    }
    // Each value stored once.
    for (var node : replicas.entrySet()) {
      Map<String, String> at = new HashMap<>();
      for (var part : node.getValue().entrySet()) {
        for (var rec : part.getValue().entrySet()) {
          String where = part.getKey() + "/" + rec.getKey();
          String before = at.put(rec.getValue(), where);
          if (before != null) {
            report("duplicate", rec.getValue() + " at " + before + " and " + where + " on " + node.getKey());
          }
        }
      }
    }
    // Replicas hold the same logs.
    Map<Integer, Map<Long, String>> first = null;
    String firstNode = null;
    for (var node : replicas.entrySet()) {
      if (first == null) {
        first = node.getValue();
        firstNode = node.getKey();
      } else if (!first.equals(node.getValue())) {
        report("replica-divergence", node.getKey() + "'s log differs from " + firstNode + "'s");
      }
    }
    if (!ackAfterHeal) {
      report("liveness", "no send was acknowledged after the faults healed");
    }
    return new Verdict(counts, examples, ok, info, fail, pollReads, finalReads);
  }

  private void observe(Map<Integer, Map<Long, String>> seenAt, Map<String, String> whereSeen, OpValue.Read r,
      String by) {
    String before = seenAt.computeIfAbsent(r.partition(), k -> new HashMap<>()).putIfAbsent(r.offset(), r.value());
    if (before != null && !before.equals(r.value())) {
      report("inconsistent-offsets", "partition " + r.partition() + " offset " + r.offset() + " read as " + before
          + " and as " + r.value() + " (" + by + ")");
    }
    String where = r.partition() + "/" + r.offset();
    String seenWhere = whereSeen.putIfAbsent(r.value(), where);
    if (seenWhere != null && !seenWhere.equals(where)) {
      report("duplicate", r.value() + " read at " + seenWhere + " and at " + where + " (" + by + ")");
    }
  }
}
