package io.sluice.node;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * When removing a voter is safe. Pure: no I/O, no clock. Raft commits a membership change through
 * joint consensus, which needs a majority of the old voters and a majority of the new ones; after
 * it, writes need a majority of the new voters. So a removal is refused unless a majority of the
 * voters left, and of the voters now, are reachable from the leader. Also refused: removing the
 * last voter.
 */
final class QuorumRule {
  private QuorumRule() {}

  /** Votes needed out of {@code voters}. */
  static int majority(int voters) {
    return voters / 2 + 1;
  }

  /**
   * @param voters    the current voters
   * @param removing  the voter to remove (one of {@code voters})
   * @param reachable the voters the leader has heard from recently, itself included
   * @return why the removal must be refused, or null when it is safe
   */
  static String removalRefusal(Collection<String> voters, String removing, Collection<String> reachable) {
    Set<String> after = new TreeSet<>(voters);
    after.remove(removing);
    if (after.isEmpty()) {
      return removing + " is the only voter; a cluster needs at least one";
    }
    List<String> reachableAfter = intersect(after, reachable);
    if (reachableAfter.size() < majority(after.size())) {
      return "removing " + removing + " would leave the voters " + after + " of which only " + reachableAfter
          + " are reachable from the leader, and a majority (" + majority(after.size()) + " of " + after.size()
          + ") is needed to keep accepting writes; bring the others back (or remove unreachable ones first)";
    }
    List<String> reachableNow = intersect(new TreeSet<>(voters), reachable);
    if (reachableNow.size() < majority(voters.size())) {
      return "only " + reachableNow + " of the voters " + new TreeSet<>(voters) + " are reachable; the change"
          + " needs a majority (" + majority(voters.size()) + ") of the current voters to commit";
    }
    return null;
  }

  private static List<String> intersect(Set<String> sorted, Collection<String> other) {
    List<String> out = new ArrayList<>();
    for (String s : sorted) {
      if (other.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }
}
