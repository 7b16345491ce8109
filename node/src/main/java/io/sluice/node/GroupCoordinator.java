package io.sluice.node;

import io.sluice.api.v1.GroupState;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.ExpireMembers;
import io.sluice.internal.v1.StoredGroup;
import io.sluice.internal.v1.StoredMember;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's half of consumer-group liveness: heartbeats are kept in memory (never in the log)
 * and turned into {@link ExpireMembers} commands, which the state machine applies like any other.
 *
 * <p>A member is expired when the leader has not heard from it (heartbeat, join, commit) for its
 * session timeout; during a rebalance, a member that has not rejoined within its rebalance timeout
 * of the rebalance starting (as this leader saw it) is expired too. On becoming leader the node
 * knows no heartbeats: every member gets one full session timeout (and rebalance timeout) from that
 * moment, so a leadership change never expires a live member.
 *
 * <p>Thread-safe: {@link #touch} is called from gRPC threads; {@link #run} from the node's
 * scheduler, one run at a time.
 */
final class GroupCoordinator implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCoordinator.class);

  private final SluiceNode node;
  private final LongSupplier nanoClock;
  private final Map<String, Long> lastSeenNanos = new ConcurrentHashMap<>();
  private final Map<String, Long> preparingSinceNanos = new ConcurrentHashMap<>();
  private final Set<String> expiryInFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean leader;

  GroupCoordinator(SluiceNode node, LongSupplier nanoClock) {
    this.node = node;
    this.nanoClock = nanoClock;
  }

  private static String key(String groupId, String memberId) {
    return groupId + '\u0000' + memberId;
  }

  /** Records that the member was heard from now. */
  void touch(String groupId, String memberId) {
    lastSeenNanos.put(key(groupId, memberId), nanoClock.getAsLong());
  }

  /** Forgets a member that left. */
  void forget(String groupId, String memberId) {
    lastSeenNanos.remove(key(groupId, memberId));
  }

  @Override
  public void run() {
    try {
      check();
    } catch (RuntimeException e) {
      LOG.warn("group liveness check failed: {}", e.toString());
    }
  }

  private void check() {
    if (!node.isLeader()) {
      if (leader) {
        leader = false;
        lastSeenNanos.clear();
        preparingSinceNanos.clear();
      }
      return;
    }
    long now = nanoClock.getAsLong();
    if (!leader) {
      // The grace period: what the previous leader heard is unknown here, so everyone starts fresh.
      leader = true;
      lastSeenNanos.clear();
      preparingSinceNanos.clear();
      LOG.info("node {} leads: every group member has one session timeout from now to heartbeat", node.id());
    }
    Set<String> preparing = new HashSet<>();
    Set<String> present = new HashSet<>();
    for (StoredGroup g : node.core().groups()) {
      List<String> expired = new ArrayList<>();
      String rebalanceKey = g.getGroupId() + "@" + g.getGeneration();
      long since = 0;
      if (g.getState() == GroupState.GROUP_STATE_PREPARING_REBALANCE) {
        preparing.add(rebalanceKey);
        since = preparingSinceNanos.computeIfAbsent(rebalanceKey, k -> now);
      }
      for (StoredMember m : g.getMembersList()) {
        String key = key(g.getGroupId(), m.getMemberId());
        present.add(key);
        // A member this leader has not heard from yet (it just became leader, or the join was applied
        // a moment before its answer touched the table) gets a full session timeout from now.
        long seen = lastSeenNanos.computeIfAbsent(key, k -> now);
        if (now - seen > TimeUnit.MILLISECONDS.toNanos(m.getSessionTimeoutMs())) {
          expired.add(m.getMemberId());
        } else if (g.getState() == GroupState.GROUP_STATE_PREPARING_REBALANCE && !m.getRejoined()
            && now - since > TimeUnit.MILLISECONDS.toNanos(m.getRebalanceTimeoutMs())) {
          expired.add(m.getMemberId());
        }
      }
      if (!expired.isEmpty()) {
        expire(g.getGroupId(), expired);
      }
    }
    preparingSinceNanos.keySet().retainAll(preparing);
    lastSeenNanos.keySet().retainAll(present);
  }

  private void expire(String groupId, List<String> memberIds) {
    if (!expiryInFlight.add(groupId)) {
      return;
    }
    LOG.info("group {}: expiring members {} (no heartbeat within the session timeout, or not rejoined within the"
        + " rebalance timeout)", groupId, memberIds);
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setExpireMembers(ExpireMembers.newBuilder().setGroupId(groupId).addAllMemberIds(memberIds)
            .setReason("liveness"))
        .build();
    node.proposer().propose(command).whenComplete((outcome, error) -> {
      expiryInFlight.remove(groupId);
      if (error != null) {
        LOG.debug("expiring members of group {} not done yet: {}", groupId, error.toString());
      } else {
        memberIds.forEach(m -> forget(groupId, m));
      }
    });
  }
}
