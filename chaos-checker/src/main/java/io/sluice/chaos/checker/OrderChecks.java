package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.chaos.checker.Facts.TopicPartition;
import io.sluice.chaos.checker.Facts.Write;
import io.sluice.chaos.history.OpType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Order of acknowledged writes within a partition: nonmonotonic-send and realtime-order. */
final class OrderChecks {

  private static final Comparator<Write> BY_INVOKE =
      Comparator.<Write>comparingLong(w -> w.op().invoke().index()).thenComparingInt(Write::component);
  private static final Comparator<Write> BY_COMPLETION =
      Comparator.<Write>comparingLong(w -> w.op().completion().index()).thenComparingInt(Write::component);

  private final Facts facts;
  private final Findings findings;

  OrderChecks(Facts facts, Findings findings) {
    this.facts = facts;
    this.findings = findings;
  }

  void run() {
    Map<TopicPartition, List<Write>> acked = new LinkedHashMap<>();
    for (Write write : facts.writeByValue.values()) {
      if (write.outcome() == OpType.OK) {
        acked.computeIfAbsent(write.ackedPosition().tp(), k -> new ArrayList<>()).add(write);
      }
    }
    for (Map.Entry<TopicPartition, List<Write>> entry : acked.entrySet()) {
      List<Write> writes = entry.getValue();
      writes.sort(BY_INVOKE);
      perProcess(entry.getKey(), writes);
      realtime(entry.getKey(), writes);
    }
  }

  /** In one process's invoke order, offsets in a partition must increase. */
  private void perProcess(TopicPartition tp, List<Write> byInvoke) {
    Map<String, Write> highest = new LinkedHashMap<>();
    for (Write write : byInvoke) {
      Write previous = highest.get(write.op().process());
      if (previous != null && write.acked().offset() <= previous.acked().offset()) {
        findings.add(AnomalyKind.NONMONOTONIC_SEND, "process " + write.op().process() + " sent "
            + previous.value() + " (op " + previous.op().id() + ") then " + write.value() + " (op "
            + write.op().id() + ") to " + tp + ", acknowledged at offsets " + previous.acked().offset()
            + " then " + write.acked().offset(), pair(tp, previous, write));
      }
      if (previous == null || write.acked().offset() > previous.acked().offset()) {
        highest.put(write.op().process(), write);
      }
    }
  }

  /**
   * If A completed before B was invoked, offset(A) &lt; offset(B). Sweep B in invoke order while
   * admitting every A whose completion came earlier in the history, keeping the highest offset.
   */
  private void realtime(TopicPartition tp, List<Write> byInvoke) {
    List<Write> byCompletion = new ArrayList<>(byInvoke);
    byCompletion.sort(BY_COMPLETION);
    int next = 0;
    Write highest = null;
    for (Write b : byInvoke) {
      long invokedAt = b.op().invoke().index();
      while (next < byCompletion.size() && byCompletion.get(next).op().completion().index() < invokedAt) {
        Write a = byCompletion.get(next++);
        if (highest == null || a.acked().offset() > highest.acked().offset()) {
          highest = a;
        }
      }
      if (highest != null && highest.acked().offset() > b.acked().offset()) {
        findings.add(AnomalyKind.REALTIME_ORDER, highest.value() + " (op " + highest.op().id() + " of "
            + highest.op().process() + ") was acknowledged at " + tp + "@" + highest.acked().offset()
            + " before " + b.value() + " (op " + b.op().id() + " of " + b.op().process()
            + ") was invoked, yet the later one got the earlier offset " + b.acked().offset(), pair(tp, highest, b));
      }
    }
  }

  private static ObjectNode pair(TopicPartition tp, Write first, Write second) {
    ObjectNode details = Json.object();
    details.put("topic", tp.topic());
    details.put("partition", tp.partition());
    details.set("first", write(first));
    details.set("second", write(second));
    return details;
  }

  private static ObjectNode write(Write write) {
    ObjectNode json = Json.object();
    json.put("value", write.value());
    json.put("offset", write.acked().offset());
    json.put("op", write.op().id());
    json.put("process", write.op().process());
    json.put("invoke_index", write.op().invoke().index());
    json.put("complete_index", write.op().completion().index());
    return json;
  }
}
