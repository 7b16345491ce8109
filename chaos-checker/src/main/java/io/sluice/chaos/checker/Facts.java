package io.sluice.chaos.checker;

import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryFormatException;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.chaos.history.Operation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a history says, indexed for the checks: every write by value, every place a value was
 * observed (acknowledged, polled, final-read), and each node's final read per partition.
 * Built once per check; not thread-safe (confined to the checking thread).
 */
final class Facts {

  /** A topic partition, ordered by topic then partition. */
  record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {
    @Override
    public int compareTo(TopicPartition other) {
      int byTopic = topic.compareTo(other.topic);
      return byTopic != 0 ? byTopic : Integer.compare(partition, other.partition);
    }

    @Override
    public String toString() {
      return topic + "/" + partition;
    }
  }

  /** An offset in a partition. */
  record Position(TopicPartition tp, long offset) {
    @Override
    public String toString() {
      return tp + "@" + offset;
    }
  }

  enum Source {
    ACK,
    POLL,
    FINAL;

    String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** {@code value} was observed at {@code position} by an ack, a poll or a final read. */
  record Observation(String value, Position position, Source source, String where, long opId) {
    boolean isRead() {
      return source != Source.ACK;
    }
  }

  /**
   * One record written: a send, or one component of an atomic write.
   *
   * @param component index inside the atomic write, or -1 for a plain send
   * @param acked the ok value (with partition and offset), or null unless ok
   */
  record Write(Operation op, int component, OpValue.Send invoked, OpValue.Send acked, OpType outcome) {
    String value() {
      return invoked.value();
    }

    Position ackedPosition() {
      return acked == null ? null : new Position(new TopicPartition(acked.topic(), acked.partition()), acked.offset());
    }

    /** The partition, when known (acked, or explicit at invoke). */
    TopicPartition knownPartition() {
      OpValue.Send send = acked != null ? acked : invoked;
      return send.partition() == null ? null : new TopicPartition(send.topic(), send.partition());
    }
  }

  /** One node's final read of one partition: [startOffset, endOffset) and the value at each offset. */
  record NodeRead(String node, TopicPartition tp, long startOffset, long endOffset,
      TreeMap<Long, String> valueAt, long opId) {
    boolean covers(long offset) {
      return offset >= startOffset && offset < endOffset;
    }
  }

  final History history;
  final Map<String, Write> writeByValue = new LinkedHashMap<>();
  final List<Operation> atomics = new ArrayList<>();
  final Map<String, List<Observation>> observationsByValue = new LinkedHashMap<>();
  final Map<Position, Map<String, List<Observation>>> valuesByPosition = new LinkedHashMap<>();
  final Map<TopicPartition, List<NodeRead>> finalReads = new TreeMap<>();
  final Map<TopicPartition, TreeSet<Long>> knownOffsets = new HashMap<>();

  private Facts(History history) {
    this.history = history;
  }

  /** @throws HistoryFormatException when values are not unique or an ok lacks what it must carry */
  static Facts of(History history) {
    Facts facts = new Facts(history);
    for (Operation op : history.operations()) {
      switch (op.f()) {
        case SEND -> facts.addSend(op);
        case ATOMIC -> facts.addAtomic(op);
        case POLL -> facts.addPoll(op);
        case FINAL_READ -> facts.addFinalRead(op);
        default -> { }
      }
    }
    return facts;
  }

  private void addSend(Operation op) {
    OpValue.Send invoked = (OpValue.Send) op.invoke().value();
    OpValue.Send acked = op.isOk() ? (OpValue.Send) op.completion().value() : null;
    addWrite(new Write(op, -1, invoked, acked, op.outcome()));
  }

  private void addAtomic(Operation op) {
    atomics.add(op);
    List<OpValue.Send> invoked = ((OpValue.Atomic) op.invoke().value()).sends();
    List<OpValue.Send> acked = op.isOk() ? ((OpValue.Atomic) op.completion().value()).sends() : null;
    if (acked != null && acked.size() != invoked.size()) {
      throw formatError(op.completion(), "atomic ok carries " + acked.size() + " sends, its invoke " + invoked.size());
    }
    for (int i = 0; i < invoked.size(); i++) {
      addWrite(new Write(op, i, invoked.get(i), acked == null ? null : acked.get(i), op.outcome()));
    }
  }

  private void addWrite(Write write) {
    Write previous = writeByValue.putIfAbsent(write.value(), write);
    if (previous != null) {
      throw formatError(write.op().invoke(), "value " + write.value() + " is sent by op " + previous.op().id()
          + " and op " + write.op().id() + ": values must be unique in a history");
    }
    if (write.acked() != null) {
      if (write.acked().partition() == null || write.acked().offset() == null) {
        throw formatError(write.op().completion(), "ok of value " + write.value() + " without partition and offset");
      }
      if (!write.acked().value().equals(write.value())) {
        throw formatError(write.op().completion(), "ok carries value " + write.acked().value()
            + " but its invoke sent " + write.value());
      }
      observe(new Observation(write.value(), write.ackedPosition(), Source.ACK, write.op().process(), write.op().id()));
    }
  }

  private void addPoll(Operation op) {
    if (!op.isOk()) {
      return;
    }
    List<OpValue.Read> reads = ((OpValue.Poll) op.completion().value()).reads();
    if (reads == null) {
      return;
    }
    for (OpValue.Read read : reads) {
      observe(new Observation(read.value(), position(read), Source.POLL, op.process(), op.id()));
    }
  }

  private void addFinalRead(Operation op) {
    if (!op.isOk()) {
      return;
    }
    OpValue.FinalRead result = (OpValue.FinalRead) op.completion().value();
    if (result.startOffset() == null || result.endOffset() == null || result.reads() == null) {
      throw formatError(op.completion(), "final-read ok without start_offset, end_offset and reads");
    }
    TopicPartition tp = new TopicPartition(result.topic(), result.partition());
    TreeMap<Long, String> valueAt = new TreeMap<>();
    for (OpValue.Read read : result.reads()) {
      valueAt.put(read.offset(), read.value());
      observe(new Observation(read.value(), position(read), Source.FINAL, result.node(), op.id()));
    }
    List<NodeRead> reads = finalReads.computeIfAbsent(tp, k -> new ArrayList<>());
    // A node read twice (a retried final read): the later read replaces the earlier one.
    reads.removeIf(r -> r.node().equals(result.node()));
    reads.add(new NodeRead(result.node(), tp, result.startOffset(), result.endOffset(), valueAt, op.id()));
    reads.sort((a, b) -> a.node().compareTo(b.node()));
  }

  private void observe(Observation observation) {
    String value = observation.value() == null ? "" : observation.value();
    observationsByValue.computeIfAbsent(value, k -> new ArrayList<>()).add(observation);
    valuesByPosition.computeIfAbsent(observation.position(), k -> new LinkedHashMap<>())
        .computeIfAbsent(value, k -> new ArrayList<>())
        .add(observation);
    knownOffsets.computeIfAbsent(observation.position().tp(), k -> new TreeSet<>()).add(observation.position().offset());
  }

  List<Observation> observations(String value) {
    return observationsByValue.getOrDefault(value, Collections.emptyList());
  }

  boolean wasRead(String value) {
    for (Observation observation : observations(value)) {
      if (observation.isRead()) {
        return true;
      }
    }
    return false;
  }

  List<NodeRead> finalReads(TopicPartition tp) {
    return finalReads.getOrDefault(tp, Collections.emptyList());
  }

  private static Position position(OpValue.Read read) {
    return new Position(new TopicPartition(read.topic(), read.partition()), read.offset());
  }

  private static HistoryFormatException formatError(Event event, String message) {
    return new HistoryFormatException(0, "event " + event.index() + ": " + message);
  }
}
