package io.sluice.statemachine;

import io.sluice.api.v1.AssignmentStrategy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The partition assignors, run inside apply: pure functions of sorted inputs, so every replica
 * computes the same assignment.
 *
 * <ul>
 *   <li>{@link AssignmentStrategy#ASSIGNMENT_STRATEGY_RANGE}: per topic, the members subscribed to it
 *       (sorted by id) get contiguous ranges; the first {@code partitions % members} get one more.
 *   <li>{@link AssignmentStrategy#ASSIGNMENT_STRATEGY_ROUND_ROBIN}: every partition (sorted by topic,
 *       partition) goes to the next member in turn that is subscribed to its topic.
 *   <li>{@link AssignmentStrategy#ASSIGNMENT_STRATEGY_STICKY}: each member first keeps what it owned
 *       before (if still subscribed and still existing), then free partitions go to the least loaded
 *       eligible member, then partitions move one at a time from the most to the least loaded member
 *       only while their counts differ by more than one. With equal subscriptions the result is
 *       balanced (counts differ by at most one) and moves the fewest partitions that balance needs.
 * </ul>
 *
 * <p>Stateless; thread-safe.
 */
public final class Assignors {
  private Assignors() {}

  /** A partition, ordered by topic then index. */
  public record Tp(String topic, int partition) implements Comparable<Tp> {
    private static final Comparator<Tp> ORDER = Comparator.comparing(Tp::topic).thenComparingInt(Tp::partition);

    @Override
    public int compareTo(Tp o) {
      return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
      return topic + "-" + partition;
    }
  }

  /** A member's subscription and what it owned in the previous generation. */
  public record Member(String id, Set<String> topics, List<Tp> previous) {}

  /**
   * @param members         the group's members (any order; sorted here by id)
   * @param partitionCounts partition count of every existing topic; subscribed topics absent here get nothing
   * @return every member id mapped to its sorted partitions (possibly empty)
   */
  public static SortedMap<String, List<Tp>> assign(AssignmentStrategy strategy, List<Member> members,
      Map<String, Integer> partitionCounts) {
    List<Member> sorted = new ArrayList<>(members);
    sorted.sort(Comparator.comparing(Member::id));
    SortedMap<String, List<Tp>> out = switch (strategy) {
      case ASSIGNMENT_STRATEGY_ROUND_ROBIN -> roundRobin(sorted, partitionCounts);
      case ASSIGNMENT_STRATEGY_STICKY -> sticky(sorted, partitionCounts);
      default -> range(sorted, partitionCounts);
    };
    out.values().forEach(l -> l.sort(null));
    return out;
  }

  private static SortedMap<String, List<Tp>> empty(List<Member> members) {
    SortedMap<String, List<Tp>> out = new TreeMap<>();
    members.forEach(m -> out.put(m.id(), new ArrayList<>()));
    return out;
  }

  static SortedMap<String, List<Tp>> range(List<Member> members, Map<String, Integer> counts) {
    SortedMap<String, List<Tp>> out = empty(members);
    for (String topic : allTopicsOf(members, counts)) {
      List<Member> subscribed = members.stream().filter(m -> m.topics().contains(topic)).toList();
      int n = counts.get(topic);
      int each = n / subscribed.size();
      int extra = n % subscribed.size();
      int p = 0;
      for (int i = 0; i < subscribed.size(); i++) {
        int take = each + (i < extra ? 1 : 0);
        for (int k = 0; k < take; k++) {
          out.get(subscribed.get(i).id()).add(new Tp(topic, p++));
        }
      }
    }
    return out;
  }

  static SortedMap<String, List<Tp>> roundRobin(List<Member> members, Map<String, Integer> counts) {
    SortedMap<String, List<Tp>> out = empty(members);
    int next = 0;
    for (Tp tp : allPartitions(members, counts)) {
      for (int tries = 0; tries < members.size(); tries++) {
        Member m = members.get(next++ % members.size());
        if (m.topics().contains(tp.topic())) {
          out.get(m.id()).add(tp);
          break;
        }
      }
    }
    return out;
  }

  static SortedMap<String, List<Tp>> sticky(List<Member> members, Map<String, Integer> counts) {
    SortedMap<String, List<Tp>> out = empty(members);
    Map<String, Member> byId = new TreeMap<>();
    members.forEach(m -> byId.put(m.id(), m));
    Set<Tp> all = new TreeSet<>(allPartitions(members, counts));
    Set<Tp> taken = new HashSet<>();
    // 1. Keep previous ownership that is still valid.
    for (Member m : members) {
      for (Tp tp : new TreeSet<>(m.previous())) {
        if (all.contains(tp) && m.topics().contains(tp.topic()) && taken.add(tp)) {
          out.get(m.id()).add(tp);
        }
      }
    }
    // 2. Free partitions to the least loaded eligible member (ties: smallest id).
    for (Tp tp : all) {
      if (taken.contains(tp)) {
        continue;
      }
      String best = null;
      for (Member m : members) {
        if (m.topics().contains(tp.topic()) && (best == null || out.get(m.id()).size() < out.get(best).size())) {
          best = m.id();
        }
      }
      out.get(best).add(tp);
      taken.add(tp);
    }
    // 3. Move single partitions from the most to the least loaded member while that helps.
    // Each move lowers the sum of squared counts, so this ends; the bound is a safety net.
    for (int moves = 0; moves <= all.size() * members.size(); moves++) {
      if (!moveOne(members, out)) {
        break;
      }
    }
    return out;
  }

  /** Moves one partition from a heavier to a member lighter by at least two; false when none can move. */
  private static boolean moveOne(List<Member> members, SortedMap<String, List<Tp>> out) {
    List<Member> byLoadDesc = new ArrayList<>(members);
    byLoadDesc.sort(Comparator.comparingInt((Member m) -> -out.get(m.id()).size()).thenComparing(Member::id));
    for (Member heavy : byLoadDesc) {
      for (int i = byLoadDesc.size() - 1; i >= 0; i--) {
        Member light = byLoadDesc.get(i);
        if (out.get(heavy.id()).size() - out.get(light.id()).size() < 2) {
          break;
        }
        List<Tp> owned = new ArrayList<>(new TreeSet<>(out.get(heavy.id())));
        for (int k = owned.size() - 1; k >= 0; k--) {
          Tp tp = owned.get(k);
          if (light.topics().contains(tp.topic())) {
            out.get(heavy.id()).remove(tp);
            out.get(light.id()).add(tp);
            return true;
          }
        }
      }
    }
    return false;
  }

  private static Set<String> allTopicsOf(List<Member> members, Map<String, Integer> counts) {
    Set<String> topics = new TreeSet<>();
    members.forEach(m -> m.topics().stream().filter(counts::containsKey).forEach(topics::add));
    return topics;
  }

  private static List<Tp> allPartitions(List<Member> members, Map<String, Integer> counts) {
    List<Tp> out = new ArrayList<>();
    for (String topic : allTopicsOf(members, counts)) {
      for (int p = 0; p < counts.get(topic); p++) {
        out.add(new Tp(topic, p));
      }
    }
    return out;
  }
}
