package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.chaos.checker.Facts.TopicPartition;
import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryJson;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpValue;
import io.sluice.chaos.history.Operation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The liveness half of a verdict, checked separately from safety: every invoked operation
 * completed, every fault that started ended, after the last heal (or from the start when no
 * fault was recorded) a write was acknowledged within the recovery bound, and the final reads
 * found every replica caught up: each node that was read has a successful final read of every
 * partition that was read, and no node's log ends before another's (the workload reads only after
 * waiting for the replicas to settle, so a replica still behind then did not recover). Immutable.
 *
 * @param pendingCount operations invoked and never completed
 * @param pendingExamples the first few of them
 * @param unhealedFaults descriptions of faults that started and never ended
 * @param healNs time of the last fault's end (0 when no fault was recorded)
 * @param firstAckAfterHealNs completion time of the first write acknowledged at or after the heal, or -1
 * @param recoveryTimeMaxNs the bound
 * @param problems one sentence per liveness failure; empty when live
 */
public record Liveness(
    long pendingCount,
    List<Operation> pendingExamples,
    List<String> unhealedFaults,
    long healNs,
    long firstAckAfterHealNs,
    long recoveryTimeMaxNs,
    List<String> problems) {

  public boolean valid() {
    return problems.isEmpty();
  }

  static Liveness check(History history, Facts facts, CheckerOptions options) {
    List<String> problems = new ArrayList<>();
    long pending = 0;
    List<Operation> pendingExamples = new ArrayList<>();
    for (Operation op : history.operations()) {
      if (op.completion() == null) {
        pending++;
        if (pendingExamples.size() < options.examplesPerKindMax()) {
          pendingExamples.add(op);
        }
      }
    }
    if (pending > 0) {
      problems.add(pending + " operation(s) were invoked and never completed, e.g. op "
          + pendingExamples.get(0).id() + " (" + pendingExamples.get(0).f().jsonName() + " of "
          + pendingExamples.get(0).process() + ")");
    }
    Map<String, OpValue.Nemesis> open = new LinkedHashMap<>();
    long healNs = 0;
    for (Event event : history.observations(OpFunction.NEMESIS)) {
      OpValue.Nemesis nemesis = (OpValue.Nemesis) event.value();
      if (nemesis.isStart()) {
        open.put(nemesis.id(), nemesis);
      } else {
        open.remove(nemesis.id());
        healNs = Math.max(healNs, event.timeNs());
      }
    }
    List<String> unhealed = new ArrayList<>();
    open.values().forEach(n -> unhealed.add(n.id() + " (" + n.fault() + ": " + n.description() + ")"));
    if (!unhealed.isEmpty()) {
      problems.add("fault(s) never ended: " + unhealed);
    }
    long firstAck = firstAckAfter(history, healNs);
    long bound = options.recoveryTimeMax().toNanos();
    String since = healNs == 0 && history.observations(OpFunction.NEMESIS).isEmpty() ? "the start" : "the last heal";
    if (firstAck < 0) {
      problems.add("no write was acknowledged after " + since);
    } else if (firstAck - healNs > bound) {
      problems.add(String.format("the first write after %s was acknowledged %.3f s later, more than the %.3f s allowed",
          since, (firstAck - healNs) / 1e9, bound / 1e9));
    }
    finalReads(history, facts, problems);
    return new Liveness(pending, List.copyOf(pendingExamples), List.copyOf(unhealed), healNs, firstAck, bound,
        List.copyOf(problems));
  }

  /** Missing final reads, and replicas whose final read ends before another node's. */
  private static void finalReads(History history, Facts facts, List<String> problems) {
    Set<String> nodes = new TreeSet<>();
    Set<TopicPartition> partitions = new TreeSet<>();
    Map<String, String> lastError = new LinkedHashMap<>();
    for (Operation op : history.operations()) {
      if (op.f() != OpFunction.FINAL_READ) {
        continue;
      }
      OpValue.FinalRead read = (OpValue.FinalRead) op.invoke().value();
      nodes.add(read.node());
      partitions.add(new TopicPartition(read.topic(), read.partition()));
      if (op.completion() != null && !op.isOk() && op.completion().error() != null) {
        lastError.put(read.node() + " " + read.topic() + "/" + read.partition(), op.completion().error());
      }
    }
    for (TopicPartition tp : partitions) {
      List<Facts.NodeRead> reads = facts.finalReads(tp);
      Set<String> readNodes = new TreeSet<>();
      long maxEnd = -1;
      String maxNode = null;
      for (Facts.NodeRead read : reads) {
        readNodes.add(read.node());
        if (read.endOffset() > maxEnd) {
          maxEnd = read.endOffset();
          maxNode = read.node();
        }
      }
      for (String node : nodes) {
        if (!readNodes.contains(node)) {
          String error = lastError.get(node + " " + tp);
          problems.add("no successful final read of " + tp + " from " + node
              + (error != null ? " (last attempt: " + error + ")" : ""));
        }
      }
      for (Facts.NodeRead read : reads) {
        if (read.endOffset() < maxEnd) {
          problems.add("replica " + read.node() + " had not caught up on " + tp + " at its final read: its log ends at "
              + read.endOffset() + ", " + maxNode + "'s at " + maxEnd);
        }
      }
    }
  }

  private static long firstAckAfter(History history, long healNs) {
    long first = -1;
    for (Operation op : history.operations()) {
      boolean write = op.f() == OpFunction.SEND || op.f() == OpFunction.ATOMIC;
      if (write && op.isOk() && op.completeNs() >= healNs && (first < 0 || op.completeNs() < first)) {
        first = op.completeNs();
      }
    }
    return first;
  }

  ObjectNode toJson() {
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("valid", valid());
    json.set("problems", Json.strings(problems));
    json.put("pending_count", pendingCount);
    ArrayNode pendingJson = json.putArray("pending");
    for (Operation op : pendingExamples) {
      ObjectNode example = pendingJson.addObject();
      example.put("op", op.id());
      example.put("process", op.process());
      example.put("f", op.f().jsonName());
      example.put("invoke_index", op.invoke().index());
      example.put("invoke_ns", op.invokeNs());
      example.set("value", HistoryJson.valueJson(op.invoke().value()));
    }
    json.set("unhealed_faults", Json.strings(unhealedFaults));
    json.put("heal_ns", healNs);
    json.put("first_ack_after_heal_ns", firstAckAfterHealNs);
    json.put("recovery_ns", firstAckAfterHealNs < 0 ? -1 : firstAckAfterHealNs - healNs);
    json.put("recovery_time_max_ns", recoveryTimeMaxNs);
    return json;
  }
}
