package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.api.v1.AssignmentStrategy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class AssignorsTest {
  private static final AssignmentStrategy RANGE = AssignmentStrategy.ASSIGNMENT_STRATEGY_RANGE;
  private static final AssignmentStrategy RR = AssignmentStrategy.ASSIGNMENT_STRATEGY_ROUND_ROBIN;
  private static final AssignmentStrategy STICKY = AssignmentStrategy.ASSIGNMENT_STRATEGY_STICKY;

  private static Assignors.Member m(String id, String... topics) {
    return new Assignors.Member(id, Set.of(topics), List.of());
  }

  private static Assignors.Tp tp(String t, int p) {
    return new Assignors.Tp(t, p);
  }

  @Test
  void rangeGivesContiguousRangesPerTopicExtrasToTheFirstMembers() {
    SortedMap<String, List<Assignors.Tp>> a = Assignors.assign(RANGE, List.of(m("b", "t", "u"), m("a", "t", "u")),
        Map.of("t", 3, "u", 2));
    assertEquals(List.of(tp("t", 0), tp("t", 1), tp("u", 0)), a.get("a"));
    assertEquals(List.of(tp("t", 2), tp("u", 1)), a.get("b"));
  }

  @Test
  void roundRobinDealsSortedPartitionsInTurnSkippingUnsubscribedMembers() {
    SortedMap<String, List<Assignors.Tp>> a = Assignors.assign(RR, List.of(m("a", "t", "u"), m("b", "t"), m("c", "u")),
        Map.of("t", 3, "u", 2));
    // t-0→a, t-1→b, t-2→(c skipped) a, u-0→(b skipped) c, u-1→a
    assertEquals(List.of(tp("t", 0), tp("t", 2), tp("u", 1)), a.get("a"));
    assertEquals(List.of(tp("t", 1)), a.get("b"));
    assertEquals(List.of(tp("u", 0)), a.get("c"));
  }

  @Test
  void topicsThatDoNotExistGetNothingAndEveryMemberIsListed() {
    SortedMap<String, List<Assignors.Tp>> a = Assignors.assign(STICKY, List.of(m("a", "missing"), m("b", "t")),
        Map.of("t", 2));
    assertEquals(List.of(), a.get("a"));
    assertEquals(List.of(tp("t", 0), tp("t", 1)), a.get("b"));
  }

  @Test
  void stickyKeepsEveryPartitionWhenAMemberJoinsExceptWhatBalanceNeeds() {
    Map<String, Integer> counts = Map.of("t", 6);
    SortedMap<String, List<Assignors.Tp>> first = Assignors.assign(STICKY, List.of(m("a", "t"), m("b", "t")), counts);
    SortedMap<String, List<Assignors.Tp>> second = Assignors.assign(STICKY, List.of(
        new Assignors.Member("a", Set.of("t"), first.get("a")),
        new Assignors.Member("b", Set.of("t"), first.get("b")),
        m("c", "t")), counts);
    assertBalanced(second, 6);
    // 2 partitions must move to c; nothing else moves.
    assertEquals(2, moved(first, second));
    assertTrue(first.get("a").containsAll(second.get("a")));
    assertTrue(first.get("b").containsAll(second.get("b")));
  }

  @Test
  void stickyOnlyMovesTheLeaversPartitions() {
    Map<String, Integer> counts = Map.of("t", 7);
    SortedMap<String, List<Assignors.Tp>> first = Assignors.assign(STICKY,
        List.of(m("a", "t"), m("b", "t"), m("c", "t")), counts);
    SortedMap<String, List<Assignors.Tp>> second = Assignors.assign(STICKY, List.of(
        new Assignors.Member("a", Set.of("t"), first.get("a")),
        new Assignors.Member("c", Set.of("t"), first.get("c"))), counts);
    assertBalanced(second, 7);
    assertTrue(second.get("a").containsAll(first.get("a")));
    assertTrue(second.get("c").containsAll(first.get("c")));
  }

  /** Property: from random previous ownership, sticky is balanced and moves no more than needed. */
  @Test
  void stickyIsBalancedAndMovesTheMinimumFromRandomStarts() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int round = 0; round < 300; round++) {
      int partitions = 1 + random.nextInt(20);
      int members = 1 + random.nextInt(6);
      List<Assignors.Member> in = new ArrayList<>();
      Map<String, List<Assignors.Tp>> previous = new HashMap<>();
      for (int i = 0; i < members; i++) {
        previous.put("m" + i, new ArrayList<>());
      }
      for (int p = 0; p < partitions; p++) {
        int owner = random.nextInt(members + 2); // some partitions unowned (owner left)
        if (owner < members) {
          previous.get("m" + owner).add(tp("t", p));
        }
      }
      for (int i = 0; i < members; i++) {
        in.add(new Assignors.Member("m" + i, Set.of("t"), previous.get("m" + i)));
      }
      SortedMap<String, List<Assignors.Tp>> out = Assignors.assign(STICKY, in, Map.of("t", partitions));
      String repro = "seed=" + seed + " round=" + round + " previous=" + previous + " out=" + out;
      assertBalanced(out, partitions);
      // Minimum moves: every member keeps min(previous, its quota) of its own partitions, where
      // the quotas are the balanced counts handed to the members with the most previous first.
      int keptMax = 0;
      List<Integer> prevCounts = new ArrayList<>(previous.values().stream().map(List::size).toList());
      prevCounts.sort((x, y) -> y - x);
      for (int i = 0; i < members; i++) {
        int quota = partitions / members + (i < partitions % members ? 1 : 0);
        keptMax += Math.min(prevCounts.get(i), quota);
      }
      int kept = 0;
      for (String id : out.keySet()) {
        Set<Assignors.Tp> before = new HashSet<>(previous.get(id));
        kept += (int) out.get(id).stream().filter(before::contains).count();
      }
      assertEquals(keptMax, kept, "sticky moved more than needed: " + repro);
    }
  }

  private static void assertBalanced(SortedMap<String, List<Assignors.Tp>> a, int partitions) {
    Set<Assignors.Tp> all = new HashSet<>();
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (List<Assignors.Tp> l : a.values()) {
      for (Assignors.Tp tp : l) {
        assertTrue(all.add(tp), tp + " assigned twice in " + a);
      }
      min = Math.min(min, l.size());
      max = Math.max(max, l.size());
    }
    assertEquals(partitions, all.size(), "every partition assigned once: " + a);
    assertTrue(max - min <= 1, "unbalanced: " + a);
  }

  private static int moved(SortedMap<String, List<Assignors.Tp>> before, SortedMap<String, List<Assignors.Tp>> after) {
    int moved = 0;
    for (Map.Entry<String, List<Assignors.Tp>> e : after.entrySet()) {
      List<Assignors.Tp> had = before.getOrDefault(e.getKey(), List.of());
      moved += (int) e.getValue().stream().filter(tp -> !had.contains(tp)).count();
    }
    return moved;
  }
}
