package io.sluice.chaos.checker;

import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A seeded simulation of a correct log under a workload: producers whose writes are applied to the
 * log at some moment between invoke and completion (or never, or — when indeterminate — possibly
 * after the completion), consumers that poll their partition in order and commit, faults that start
 * and heal, and final reads from three nodes that agree. Its history must always check valid.
 */
final class SimulatedRun {

  static final String TOPIC = "t";
  static final int PARTITIONS = 3;
  static final List<String> NODES = List.of("n1", "n2", "n3");

  private enum Fate { OK, FAIL, INFO_WRITTEN, INFO_LOST }

  private static final class InFlight {
    final HistoryWriter.Op op;
    final Fate fate;
    List<Long> offsets; // set once applied

    InFlight(HistoryWriter.Op op, Fate fate) {
      this.op = op;
      this.fate = fate;
    }
  }

  private final Random random;
  private final AtomicLong clockNs = new AtomicLong();
  private final HistoryWriter writer;
  private final List<List<String>> log = new ArrayList<>();
  private final Map<String, InFlight> inFlight = new HashMap<>();
  private final List<InFlight> lateWrites = new ArrayList<>();
  private final Map<String, Long> consumerNext = new HashMap<>();
  private final Map<String, Integer> counters = new HashMap<>();
  private boolean faulted;
  private int faults;

  SimulatedRun(long seed) {
    random = new Random(seed);
    writer = HistoryWriter.inMemory(() -> clockNs.addAndGet(1 + random.nextInt(2_000_000)));
    for (int p = 0; p < PARTITIONS; p++) {
      log.add(new ArrayList<>());
    }
  }

  List<Event> run(int steps) {
    for (int c = 0; c < 2; c++) {
      writer.assign("c" + c, new OpValue.Assign("g", 1, List.of(new OpValue.Position(TOPIC, c, 0))));
      consumerNext.put("c" + c, 0L);
    }
    for (int step = 0; step < steps; step++) {
      step();
    }
    finish();
    return writer.events();
  }

  private void step() {
    int action = random.nextInt(10);
    String producer = "p" + random.nextInt(3);
    if (action < 4) {
      if (!inFlight.containsKey(producer)) {
        invoke(producer);
      }
    } else if (action < 6) {
      applySome();
    } else if (action < 8) {
      if (inFlight.containsKey(producer)) {
        complete(producer);
      }
    } else if (action < 9) {
      poll("c" + random.nextInt(2));
    } else {
      toggleFault();
    }
  }

  private String nextValue(String process) {
    int counter = counters.merge(process, 1, Integer::sum) - 1;
    return process + "-" + counter;
  }

  private void invoke(String producer) {
    int roll = random.nextInt(10);
    Fate fate = roll < 6 ? Fate.OK : roll < 7 ? Fate.FAIL : roll < 9 ? Fate.INFO_WRITTEN : Fate.INFO_LOST;
    OpValue value;
    if (random.nextInt(5) == 0) {
      List<OpValue.Send> sends = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        if (random.nextBoolean() || sends.isEmpty() && p == PARTITIONS - 1) {
          sends.add(OpValue.Send.of(TOPIC, p, null, nextValue(producer)));
        }
      }
      value = new OpValue.Atomic(sends);
    } else {
      value = OpValue.Send.of(TOPIC, random.nextInt(PARTITIONS), "k" + random.nextInt(5), nextValue(producer));
    }
    inFlight.put(producer, new InFlight(writer.invoke(producer, value), fate));
  }

  private static List<OpValue.Send> sends(OpValue value) {
    return value instanceof OpValue.Atomic atomic ? atomic.sends() : List.of((OpValue.Send) value);
  }

  private void apply(InFlight write) {
    List<Long> offsets = new ArrayList<>();
    for (OpValue.Send send : sends(write.op.invoked())) {
      List<String> partition = log.get(send.partition());
      offsets.add((long) partition.size());
      partition.add(send.value());
    }
    write.offsets = offsets;
  }

  private void applySome() {
    for (InFlight write : inFlight.values()) {
      boolean writes = write.fate == Fate.OK || write.fate == Fate.INFO_WRITTEN;
      if (writes && write.offsets == null && random.nextBoolean()) {
        apply(write);
      }
    }
    if (!lateWrites.isEmpty() && random.nextBoolean()) {
      apply(lateWrites.remove(0)); // an indeterminate write becoming visible after its completion
    }
  }

  private void complete(String producer) {
    InFlight write = inFlight.get(producer);
    switch (write.fate) {
      case OK -> {
        if (write.offsets == null) {
          return;
        }
        write.op.ok(acknowledged(write));
      }
      case FAIL -> write.op.fail("rejected");
      case INFO_WRITTEN -> {
        write.op.info("deadline exceeded");
        if (write.offsets == null) {
          lateWrites.add(write);
        }
      }
      case INFO_LOST -> write.op.info("connection lost");
    }
    inFlight.remove(producer);
  }

  private static OpValue acknowledged(InFlight write) {
    List<OpValue.Send> sends = sends(write.op.invoked());
    List<OpValue.Send> acked = new ArrayList<>();
    for (int i = 0; i < sends.size(); i++) {
      acked.add(sends.get(i).acknowledged(sends.get(i).partition(), write.offsets.get(i)));
    }
    return write.op.invoked() instanceof OpValue.Atomic ? new OpValue.Atomic(acked) : acked.get(0);
  }

  private void poll(String consumer) {
    int partition = consumer.equals("c0") ? 0 : 1;
    long next = consumerNext.get(consumer);
    HistoryWriter.Op op = writer.invoke(consumer, new OpValue.Poll("g", null));
    List<OpValue.Read> reads = new ArrayList<>();
    List<String> records = log.get(partition);
    int max = 1 + random.nextInt(3);
    while (next < records.size() && reads.size() < max) {
      reads.add(OpValue.Read.of(TOPIC, partition, next, records.get((int) next)));
      next++;
    }
    op.ok(new OpValue.Poll("g", reads));
    consumerNext.put(consumer, next);
    if (!reads.isEmpty() && random.nextBoolean()) {
      HistoryWriter.Op commit = writer.invoke(consumer,
          new OpValue.Commit("g", 1, List.of(new OpValue.Position(TOPIC, partition, next))));
      commit.ok(commit.invoked());
    }
  }

  private void toggleFault() {
    String id = "f" + faults;
    if (faulted) {
      writer.nemesisEnd(id, "partition", "heal", List.of());
      faults++;
    } else {
      writer.nemesisStart(id, "partition", "isolate n" + (1 + random.nextInt(3)), List.of());
    }
    faulted = !faulted;
  }

  private void finish() {
    if (faulted) {
      toggleFault();
    }
    for (String producer : List.copyOf(inFlight.keySet())) {
      InFlight write = inFlight.get(producer);
      if (write.fate == Fate.OK && write.offsets == null) {
        apply(write);
      }
      complete(producer);
    }
    lateWrites.forEach(this::apply);
    lateWrites.clear();
    HistoryWriter.Op last = writer.invoke("p0", OpValue.Send.of(TOPIC, 2, null, nextValue("p0")));
    InFlight write = new InFlight(last, Fate.OK);
    apply(write);
    last.ok(acknowledged(write));
    for (String node : NODES) {
      for (int p = 0; p < PARTITIONS; p++) {
        HistoryWriter.Op read = writer.invoke("final", OpValue.FinalRead.request(node, TOPIC, p));
        List<OpValue.Read> reads = new ArrayList<>();
        for (int offset = 0; offset < log.get(p).size(); offset++) {
          reads.add(OpValue.Read.of(TOPIC, p, offset, log.get(p).get(offset)));
        }
        read.ok(new OpValue.FinalRead(node, TOPIC, p, 0L, (long) log.get(p).size(), reads));
      }
    }
  }
}
