package io.sluice.chaos.checker;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.chaos.checker.Facts.TopicPartition;
import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.chaos.history.Operation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * A consumer's progress (poll-skip, nonmonotonic-poll) and a group's commits (commit-regression,
 * group-redelivery).
 */
final class ConsumerChecks {

  private final Facts facts;
  private final Findings findings;

  ConsumerChecks(Facts facts, Findings findings) {
    this.facts = facts;
    this.findings = findings;
  }

  void run() {
    polls();
    commits();
    groupRedeliveries();
  }

  /**
   * Once a group's commit of offset N for a partition was acknowledged, no poll of that group
   * invoked afterwards returns a record of the partition below N: the group processed those. A poll
   * invoked before the acknowledgement may still return them (the commit was not known yet), and
   * commits that failed or ended unknown count for nothing.
   */
  private void groupRedeliveries() {
    Map<String, CommittedHistory> committed = new HashMap<>();
    for (Operation op : facts.history.operations()) {
      if (op.f() == OpFunction.COMMIT && op.isOk()) {
        OpValue.Commit commit = (OpValue.Commit) op.value();
        for (OpValue.Position position : commit.offsets()) {
          committed.computeIfAbsent(key(commit.group(), position), k -> new CommittedHistory())
              .add(op.completion().index(), position.offset(), op);
        }
      }
    }
    if (committed.isEmpty()) {
      return;
    }
    committed.values().forEach(CommittedHistory::seal);
    for (Operation poll : facts.history.operations()) {
      if (poll.f() != OpFunction.POLL || !poll.isOk()) {
        continue;
      }
      OpValue.Poll value = (OpValue.Poll) poll.value();
      if (value.group() == null || value.reads() == null) {
        continue;
      }
      java.util.Set<TopicPartition> reported = new java.util.HashSet<>();
      for (OpValue.Read read : value.reads()) {
        CommittedHistory history = committed.get(value.group() + "\u0000" + read.topic() + "\u0000" + read.partition());
        Operation commit = history == null ? null : history.highestBefore(poll.invoke().index());
        if (commit == null) {
          continue;
        }
        TopicPartition tp = new TopicPartition(read.topic(), read.partition());
        long committedOffset = offsetOf(commit, tp);
        if (read.offset() < committedOffset && reported.add(tp)) {
          ObjectNode details = Json.object();
          details.put("group", value.group());
          details.put("process", poll.process());
          details.put("op", poll.id());
          details.put("topic", tp.topic());
          details.put("partition", tp.partition());
          details.put("committed_offset", committedOffset);
          details.put("committed_by_op", commit.id());
          details.put("read_offset", read.offset());
          details.put("value", read.value());
          findings.add(AnomalyKind.GROUP_REDELIVERY, "group " + value.group() + " committed " + tp + " at "
              + committedOffset + " (op " + commit.id() + " of " + commit.process() + "), then poll op " + poll.id()
              + " of " + poll.process() + ", invoked after that commit was acknowledged, returned offset "
              + read.offset() + " (" + read.value() + ")", details);
        }
      }
    }
  }

  /** One group's acknowledged commits of one partition, by completion: the highest before any point. */
  private static final class CommittedHistory {
    private final List<long[]> entries = new ArrayList<>();
    private final List<Operation> ops = new ArrayList<>();
    private long[] completions;
    private Operation[] highest;

    void add(long completionIndex, long offset, Operation op) {
      entries.add(new long[] {completionIndex, offset, ops.size()});
      ops.add(op);
    }

    void seal() {
      entries.sort(Comparator.comparingLong(e -> e[0]));
      completions = new long[entries.size()];
      highest = new Operation[entries.size()];
      long max = Long.MIN_VALUE;
      Operation best = null;
      for (int i = 0; i < entries.size(); i++) {
        long[] e = entries.get(i);
        if (e[1] > max) {
          max = e[1];
          best = ops.get((int) e[2]);
        }
        completions[i] = e[0];
        highest[i] = best;
      }
    }

    /** The commit with the highest offset among those acknowledged before event {@code index}, or null. */
    Operation highestBefore(long index) {
      int at = java.util.Arrays.binarySearch(completions, index);
      int count = at >= 0 ? at : -at - 1; // entries with completion < index
      return count == 0 ? null : highest[count - 1];
    }
  }

  /**
   * Walks each process's assigns and poll results in history order. Within one assignment, the
   * reads of a partition must go forward one offset at a time, except over offsets no one ever saw
   * holding a record.
   */
  private void polls() {
    Map<String, Map<TopicPartition, Long>> nextByProcess = new HashMap<>();
    for (Event event : facts.history.events()) {
      if (event.f() == OpFunction.ASSIGN) {
        Map<TopicPartition, Long> next = new HashMap<>();
        for (OpValue.Position position : ((OpValue.Assign) event.value()).positions()) {
          if (position.offset() >= 0) {
            next.put(new TopicPartition(position.topic(), position.partition()), position.offset());
          }
        }
        nextByProcess.put(event.process(), next);
      } else if (event.f() == OpFunction.POLL && event.type() == OpType.OK) {
        Map<TopicPartition, Long> next = nextByProcess.computeIfAbsent(event.process(), k -> new HashMap<>());
        List<OpValue.Read> reads = ((OpValue.Poll) event.value()).reads();
        for (OpValue.Read read : reads == null ? List.<OpValue.Read>of() : reads) {
          TopicPartition tp = new TopicPartition(read.topic(), read.partition());
          Long expected = next.get(tp);
          if (expected != null) {
            checkRead(event, tp, expected, read);
          }
          next.put(tp, read.offset() + 1);
        }
      }
    }
  }

  private void checkRead(Event event, TopicPartition tp, long expected, OpValue.Read read) {
    ObjectNode details = Json.object();
    details.put("process", event.process());
    details.put("op", event.op());
    details.put("topic", tp.topic());
    details.put("partition", tp.partition());
    details.put("expected_offset", expected);
    details.put("read_offset", read.offset());
    details.put("value", read.value());
    if (read.offset() < expected) {
      findings.add(AnomalyKind.NONMONOTONIC_POLL, "consumer " + event.process() + " read " + tp + "@"
          + read.offset() + " (" + read.value() + ") after having read up to offset " + (expected - 1)
          + ", with no new assignment in between (event " + event.index() + ")", details);
    } else if (read.offset() > expected) {
      NavigableSet<Long> skipped = facts.knownOffsets.getOrDefault(tp, new TreeSet<>())
          .subSet(expected, true, read.offset(), false);
      if (!skipped.isEmpty()) {
        details.put("skipped_records", skipped.size());
        findings.add(AnomalyKind.POLL_SKIP, "consumer " + event.process() + " read " + tp + "@" + read.offset()
            + " right after offset " + (expected - 1) + ", skipping " + skipped.size()
            + " record(s) that exist (first at offset " + skipped.first() + ") (event " + event.index() + ")", details);
      }
    }
  }

  /**
   * A group's committed offset per partition never goes back: a commit invoked after another one
   * was acknowledged commits at least as much, and a group consumer resumes (assign) no earlier than
   * what was committed before.
   */
  private void commits() {
    Map<String, List<Operation>> okByGroupPartition = new LinkedHashMap<>();
    for (Operation op : facts.history.operations()) {
      if (op.f() == OpFunction.COMMIT && op.isOk()) {
        OpValue.Commit commit = (OpValue.Commit) op.value();
        for (OpValue.Position position : commit.offsets()) {
          okByGroupPartition.computeIfAbsent(key(commit.group(), position), k -> new ArrayList<>()).add(op);
        }
      }
    }
    Map<String, List<Event>> assignsByGroupPartition = new HashMap<>();
    for (Event event : facts.history.observations(OpFunction.ASSIGN)) {
      OpValue.Assign assign = (OpValue.Assign) event.value();
      if (assign.group() == null) {
        continue;
      }
      for (OpValue.Position position : assign.positions()) {
        if (position.offset() >= 0) {
          assignsByGroupPartition.computeIfAbsent(key(assign.group(), position), k -> new ArrayList<>()).add(event);
        }
      }
    }
    for (Map.Entry<String, List<Operation>> entry : okByGroupPartition.entrySet()) {
      sweep(entry.getKey(), entry.getValue(), assignsByGroupPartition.getOrDefault(entry.getKey(), List.of()));
    }
  }

  private void sweep(String groupPartition, List<Operation> commits, List<Event> assigns) {
    String[] parts = groupPartition.split("\u0000");
    String group = parts[0];
    TopicPartition tp = new TopicPartition(parts[1], Integer.parseInt(parts[2]));
    List<Operation> byCompletion = new ArrayList<>(commits);
    byCompletion.sort(Comparator.comparingLong(op -> op.completion().index()));
    // Commits are checked at their invoke, group assigns at their event: merge both in history order.
    List<Event> checkpoints = new ArrayList<>();
    commits.forEach(op -> checkpoints.add(op.invoke()));
    checkpoints.addAll(assigns);
    checkpoints.sort(Comparator.comparingLong(Event::index));
    Map<Long, Operation> commitByInvoke = new HashMap<>();
    commits.forEach(op -> commitByInvoke.put(op.invoke().index(), op));
    int next = 0;
    Operation highest = null;
    for (Event checkpoint : checkpoints) {
      while (next < byCompletion.size() && byCompletion.get(next).completion().index() < checkpoint.index()) {
        Operation a = byCompletion.get(next++);
        if (highest == null || offsetOf(a, tp) > offsetOf(highest, tp)) {
          highest = a;
        }
      }
      if (highest == null) {
        continue;
      }
      Operation commit = commitByInvoke.get(checkpoint.index());
      long offset = commit != null ? offsetOf(commit, tp) : assignedOffset(checkpoint, tp);
      if (offset < offsetOf(highest, tp)) {
        ObjectNode details = Json.object();
        details.put("group", group);
        details.put("topic", tp.topic());
        details.put("partition", tp.partition());
        details.put("committed_offset", offsetOf(highest, tp));
        details.put("committed_by_op", highest.id());
        details.put("later_offset", offset);
        details.put("later_event", checkpoint.index());
        String later = commit != null
            ? "commit op " + commit.id() + " of " + commit.process() + " later committed " + offset
            : "consumer " + checkpoint.process() + " resumed at " + offset + " (assign, event " + checkpoint.index() + ")";
        findings.add(AnomalyKind.COMMIT_REGRESSION, "group " + group + " committed " + tp + " at "
            + offsetOf(highest, tp) + " (op " + highest.id() + " of " + highest.process() + "), then " + later, details);
      }
    }
  }

  private static long offsetOf(Operation commit, TopicPartition tp) {
    for (OpValue.Position position : ((OpValue.Commit) commit.value()).offsets()) {
      if (position.topic().equals(tp.topic()) && position.partition() == tp.partition()) {
        return position.offset();
      }
    }
    throw new IllegalStateException("commit op " + commit.id() + " has no offset for " + tp);
  }

  private static long assignedOffset(Event assign, TopicPartition tp) {
    for (OpValue.Position position : ((OpValue.Assign) assign.value()).positions()) {
      if (position.topic().equals(tp.topic()) && position.partition() == tp.partition()) {
        return position.offset();
      }
    }
    throw new IllegalStateException("assign event " + assign.index() + " has no offset for " + tp);
  }

  private static String key(String group, OpValue.Position position) {
    return group + "\u0000" + position.topic() + "\u0000" + position.partition();
  }
}
