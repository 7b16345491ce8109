package io.sluice.chaos.history;

import java.util.List;
import java.util.Objects;

/**
 * The {@code value} of a history event, one record type per {@link OpFunction}. All are immutable.
 * Fields that a given event type does not know are {@code null} (and absent from the JSON), for
 * example the offset of a send that has not completed. See docs/history-format.md.
 */
public sealed interface OpValue
    permits OpValue.Send,
        OpValue.Atomic,
        OpValue.Poll,
        OpValue.Commit,
        OpValue.Assign,
        OpValue.Nemesis,
        OpValue.FinalRead {

  /** The function whose value this is. */
  OpFunction function();

  /**
   * One record sent. On invoke, {@code partition} is {@code null} when the partitioner chooses it
   * from the key; on ok, {@code partition} and {@code offset} say where it was stored. {@code value}
   * is unique in the history (the workload writes "process-counter").
   */
  record Send(String topic, Integer partition, String key, String value, Long offset)
      implements OpValue {
    public Send {
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(value, "value");
    }

    /** A send to an explicit partition, or to the key's partition when {@code partition} is null. */
    public static Send of(String topic, Integer partition, String key, String value) {
      return new Send(topic, partition, key, value, null);
    }

    /** This send, acknowledged at the given partition and offset. */
    public Send acknowledged(int partition, long offset) {
      return new Send(topic, partition, key, value, offset);
    }

    @Override
    public OpFunction function() {
      return OpFunction.SEND;
    }
  }

  /** Several sends in one request that must become visible all together or not at all. */
  record Atomic(List<Send> sends) implements OpValue {
    public Atomic {
      sends = List.copyOf(sends);
    }

    @Override
    public OpFunction function() {
      return OpFunction.ATOMIC;
    }
  }

  /** One record read by a consumer or by a final read. {@code key} may be null. */
  record Read(String topic, int partition, long offset, String key, String value) {
    public Read {
      Objects.requireNonNull(topic, "topic");
    }

    public static Read of(String topic, int partition, long offset, String value) {
      return new Read(topic, partition, offset, null, value);
    }
  }

  /**
   * A poll. On invoke {@code reads} is null; on ok it lists the records returned, in the order the
   * consumer received them. {@code group} is null for a consumer outside a group.
   */
  record Poll(String group, List<Read> reads) implements OpValue {
    public Poll {
      reads = reads == null ? null : List.copyOf(reads);
    }

    @Override
    public OpFunction function() {
      return OpFunction.POLL;
    }
  }

  /** A partition and an offset in it (a committed offset, or a consumer's next position). */
  record Position(String topic, int partition, long offset) {
    public Position {
      Objects.requireNonNull(topic, "topic");
    }
  }

  /**
   * A group's offset commit: each offset is the next offset to consume (Kafka's convention).
   * {@code generation} is null when not known.
   */
  record Commit(String group, Integer generation, List<Position> offsets) implements OpValue {
    public Commit {
      Objects.requireNonNull(group, "group");
      offsets = List.copyOf(offsets);
    }

    @Override
    public OpFunction function() {
      return OpFunction.COMMIT;
    }
  }

  /**
   * A consumer's assignment changed (first assignment, rebalance, seek): from now on it reads exactly
   * these partitions, each from {@code offset} (the next offset it will read; -1 when not known, then
   * the first record read sets it). Checks of a consumer's progress restart at each assign event.
   */
  record Assign(String group, Integer generation, List<Position> positions) implements OpValue {
    public Assign {
      positions = List.copyOf(positions);
    }

    @Override
    public OpFunction function() {
      return OpFunction.ASSIGN;
    }
  }

  /**
   * A fault started ({@code phase} "start") or ended ("end"). {@code id} pairs a start with its end;
   * {@code fault} is a short kind (partition, kill, pause, membership, clock, ...); {@code nodes} the
   * nodes it affects (may be empty).
   */
  record Nemesis(String phase, String id, String fault, String description, List<String> nodes)
      implements OpValue {
    public static final String START = "start";
    public static final String END = "end";

    public Nemesis {
      Objects.requireNonNull(phase, "phase");
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(fault, "fault");
      description = description == null ? "" : description;
      nodes = nodes == null ? List.of() : List.copyOf(nodes);
    }

    public boolean isStart() {
      return START.equals(phase);
    }

    @Override
    public OpFunction function() {
      return OpFunction.NEMESIS;
    }
  }

  /**
   * A read of one whole partition from one node, after the faults healed. On invoke only
   * {@code node}, {@code topic}, {@code partition} are set; on ok, {@code startOffset} (the node's log
   * start offset, inclusive), {@code endOffset} (exclusive) and every record in between, in offset order.
   */
  record FinalRead(
      String node, String topic, int partition, Long startOffset, Long endOffset, List<Read> reads)
      implements OpValue {
    public FinalRead {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(topic, "topic");
      reads = reads == null ? null : List.copyOf(reads);
    }

    public static FinalRead request(String node, String topic, int partition) {
      return new FinalRead(node, topic, partition, null, null, null);
    }

    @Override
    public OpFunction function() {
      return OpFunction.FINAL_READ;
    }
  }
}
