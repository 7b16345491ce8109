package io.sluice.chaos.checker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded property tests: histories of a simulated correct log always check valid, and each kind of
 * corruption applied to one of them is always caught. Reproduce a failure with its seed (the
 * parameter shown in the test name).
 */
class SimulatedHistoryPropertyTest {

  static List<Long> seeds() {
    List<Long> seeds = new ArrayList<>();
    for (long seed = 1; seed <= 40; seed++) {
      seeds.add(seed * 7919);
    }
    return seeds;
  }

  private static List<Event> simulate(long seed) {
    return new SimulatedRun(seed).run(1000);
  }

  private static Verdict check(List<Event> events) {
    return new Checker().check(History.of(events));
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void simulatedCorrectLogsAlwaysCheckValid(long seed) {
    Verdict verdict = check(simulate(seed));
    assertTrue(verdict.valid(), "seed=" + seed + "\n" + verdict.toPrettyJson());
    assertTrue(verdict.stats().get("records_written").asLong() > 100, "seed=" + seed + ": the workload is too thin");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("seeds")
  void everyCorruptionIsCaught(long seed) {
    List<Event> events = simulate(seed);
    List<Mutation> mutations = List.of(
        new Mutation("drop a record from one node", AnomalyKind.REPLICA_DIVERGENCE, SimulatedHistoryPropertyTest::dropFromOneNode),
        new Mutation("lose a record on every node", AnomalyKind.LOST_WRITE, SimulatedHistoryPropertyTest::loseEverywhere),
        new Mutation("store a record twice", AnomalyKind.DUPLICATE, SimulatedHistoryPropertyTest::duplicateEverywhere),
        new Mutation("acknowledge at a wrong offset", AnomalyKind.INCONSISTENT_OFFSETS, SimulatedHistoryPropertyTest::wrongAckOffset),
        new Mutation("report a stored write as failed", AnomalyKind.ABORTED_READ, SimulatedHistoryPropertyTest::okToFail),
        new Mutation("skip a record in a poll", AnomalyKind.POLL_SKIP, SimulatedHistoryPropertyTest::skipInPoll),
        new Mutation("commit backwards", AnomalyKind.COMMIT_REGRESSION, SimulatedHistoryPropertyTest::commitBackwards));
    Random random = new Random(seed);
    int applied = 0;
    for (Mutation mutation : mutations) {
      List<Event> mutated = mutation.apply().apply(new ArrayList<>(events), random);
      if (mutated == null) {
        continue; // nothing this mutation can act on in this history
      }
      applied++;
      Verdict verdict = check(mutated);
      assertTrue(verdict.count(mutation.expected()) > 0,
          "seed=" + seed + ": '" + mutation.name() + "' not reported as " + mutation.expected().jsonName()
              + "\n" + verdict.toPrettyJson());
    }
    assertTrue(applied == mutations.size(), "seed=" + seed + ": only " + applied + " mutations applied");
  }

  private record Mutation(String name, AnomalyKind expected, BiFunction<List<Event>, Random, List<Event>> apply) {}

  private static Event withValue(Event event, OpValue value) {
    return new Event(event.index(), event.timeNs(), event.process(), event.type(), event.f(), event.op(), value, event.error());
  }

  private static List<Integer> finalReadsOk(List<Event> events) {
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (e.f() == OpFunction.FINAL_READ && e.type() == OpType.OK
          && !((OpValue.FinalRead) e.value()).reads().isEmpty()) {
        positions.add(i);
      }
    }
    return positions;
  }

  private static Set<String> ackedValues(List<Event> events) {
    Set<String> acked = new HashSet<>();
    for (Event e : events) {
      if (e.type() == OpType.OK && e.f() == OpFunction.SEND) {
        acked.add(((OpValue.Send) e.value()).value());
      }
    }
    return acked;
  }

  private static OpValue.FinalRead without(OpValue.FinalRead read, int index) {
    List<OpValue.Read> reads = new ArrayList<>(read.reads());
    reads.remove(index);
    return new OpValue.FinalRead(read.node(), read.topic(), read.partition(), read.startOffset(), read.endOffset(), reads);
  }

  private static List<Event> dropFromOneNode(List<Event> events, Random random) {
    List<Integer> reads = finalReadsOk(events);
    int at = reads.get(random.nextInt(reads.size()));
    OpValue.FinalRead read = (OpValue.FinalRead) events.get(at).value();
    events.set(at, withValue(events.get(at), without(read, random.nextInt(read.reads().size()))));
    return events;
  }

  /** Removes one acknowledged send's record from every node's final read (a hole in the log). */
  private static List<Event> loseEverywhere(List<Event> events, Random random) {
    List<String> acked = new ArrayList<>(ackedValues(events));
    if (acked.isEmpty()) {
      return null;
    }
    String victim = acked.get(random.nextInt(acked.size()));
    for (int at : finalReadsOk(events)) {
      OpValue.FinalRead read = (OpValue.FinalRead) events.get(at).value();
      for (int i = 0; i < read.reads().size(); i++) {
        if (victim.equals(read.reads().get(i).value())) {
          events.set(at, withValue(events.get(at), without(read, i)));
        }
      }
    }
    return events;
  }

  /** Every node stores one existing record a second time, at the end of its partition. */
  private static List<Event> duplicateEverywhere(List<Event> events, Random random) {
    List<Integer> reads = finalReadsOk(events);
    OpValue.FinalRead chosen = (OpValue.FinalRead) events.get(reads.get(random.nextInt(reads.size()))).value();
    OpValue.Read copied = chosen.reads().get(random.nextInt(chosen.reads().size()));
    for (int at : reads) {
      OpValue.FinalRead read = (OpValue.FinalRead) events.get(at).value();
      if (read.partition() == chosen.partition()) {
        List<OpValue.Read> longer = new ArrayList<>(read.reads());
        longer.add(OpValue.Read.of(read.topic(), read.partition(), read.endOffset(), copied.value()));
        events.set(at, withValue(events.get(at), new OpValue.FinalRead(read.node(), read.topic(), read.partition(),
            read.startOffset(), read.endOffset() + 1, longer)));
      }
    }
    return events;
  }

  private static List<Event> wrongAckOffset(List<Event> events, Random random) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).type() == OpType.OK && events.get(i).f() == OpFunction.SEND
          && ((OpValue.Send) events.get(i).value()).offset() > 0) {
        candidates.add(i);
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    int at = candidates.get(random.nextInt(candidates.size()));
    OpValue.Send send = (OpValue.Send) events.get(at).value();
    events.set(at, withValue(events.get(at), send.acknowledged(send.partition(), send.offset() - 1)));
    return events;
  }

  private static List<Event> okToFail(List<Event> events, Random random) {
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).type() == OpType.OK && events.get(i).f() == OpFunction.SEND) {
        candidates.add(i);
      }
    }
    int at = candidates.get(random.nextInt(candidates.size()));
    Event ok = events.get(at);
    events.set(at, new Event(ok.index(), ok.timeNs(), ok.process(), OpType.FAIL, ok.f(), ok.op(), ok.value(), "rejected"));
    return events;
  }

  /** Removes a read from a poll that is followed by another read of the same consumer. */
  private static List<Event> skipInPoll(List<Event> events, Random random) {
    List<int[]> candidates = new ArrayList<>(); // {event position, read index}
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (e.f() == OpFunction.POLL && e.type() == OpType.OK) {
        List<OpValue.Read> reads = ((OpValue.Poll) e.value()).reads();
        for (int r = 0; r + 1 < reads.size(); r++) {
          candidates.add(new int[] {i, r});
        }
      }
    }
    if (candidates.isEmpty()) {
      return null;
    }
    int[] pick = candidates.get(random.nextInt(candidates.size()));
    OpValue.Poll poll = (OpValue.Poll) events.get(pick[0]).value();
    List<OpValue.Read> reads = new ArrayList<>(poll.reads());
    reads.remove(pick[1]);
    events.set(pick[0], withValue(events.get(pick[0]), new OpValue.Poll(poll.group(), reads)));
    return events;
  }

  /** The last acknowledged commit of a partition goes back below an earlier acknowledged one. */
  private static List<Event> commitBackwards(List<Event> events, Random random) {
    int last = -1;
    int committedBefore = 0;
    for (int i = 0; i < events.size(); i++) {
      Event e = events.get(i);
      if (e.f() == OpFunction.COMMIT && e.type() == OpType.OK) {
        OpValue.Commit commit = (OpValue.Commit) e.value();
        if (commit.offsets().get(0).partition() == 0) {
          if (last >= 0) {
            committedBefore++;
          }
          last = i;
        }
      }
    }
    if (committedBefore == 0) {
      return null;
    }
    for (int i = last; i >= 0; i--) { // rewrite both the invoke and the ok of that commit
      Event e = events.get(i);
      if (e.f() == OpFunction.COMMIT && e.op() == events.get(last).op()) {
        OpValue.Commit commit = (OpValue.Commit) e.value();
        events.set(i, withValue(e, new OpValue.Commit(commit.group(), commit.generation(),
            List.of(new OpValue.Position(SimulatedRun.TOPIC, 0, 0)))));
      }
    }
    return events;
  }
}
