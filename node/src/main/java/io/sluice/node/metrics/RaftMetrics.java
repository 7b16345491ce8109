package io.sluice.node.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.sluice.node.SluiceNode;
import io.sluice.statemachine.SnapshotListener;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.server.RaftServer;

/**
 * Raft metrics of one node: role, term, indexes, follower lag (on the leader), leader changes,
 * snapshots, and readiness. Gauges read the node when scraped; a node without a Raft division
 * (starting or stopping) reports NaN.
 *
 * <p>{@code sluice_raft_role{role}} is 1 for the node's current role and 0 for the others
 * (roles: leader, follower, candidate, listener). {@code sluice_raft_follower_lag_entries{peer}}
 * exists only on the leader, one series per follower, and is refreshed by {@link #refresh}
 * before each scrape.
 *
 * <p>Thread-safe.
 */
final class RaftMetrics implements SnapshotListener {
  private static final List<RaftPeerRole> ROLES =
      List.of(RaftPeerRole.LEADER, RaftPeerRole.FOLLOWER, RaftPeerRole.CANDIDATE, RaftPeerRole.LISTENER);

  private final SluiceNode node;
  private final Counter leaderChanges;
  private final Counter snapshots;
  private final Counter snapshotInstalls;
  private final Timer snapshotDuration;
  private final MultiGauge followerLag;

  RaftMetrics(MeterRegistry registry, SluiceNode node, long applyLagEntriesMax) {
    this.node = node;
    gauge(registry, "sluice.raft.term", "Current Raft term", d -> d.getInfo().getCurrentTerm());
    gauge(registry, "sluice.raft.commit.index", "Highest Raft index known committed",
        d -> d.getRaftLog().getLastCommittedIndex());
    gauge(registry, "sluice.raft.applied.index", "Highest Raft index applied to the state",
        d -> d.getInfo().getLastAppliedIndex());
    gauge(registry, "sluice.raft.log.last.index", "Highest Raft index in this node's log",
        d -> d.getRaftLog().getNextIndex() - 1);
    Gauge.builder("sluice.raft.snapshot.index", node, n -> n.stateMachine().latestSnapshotIndex())
        .description("Raft index covered by the latest snapshot on disk (-1: none)")
        .strongReference(true).register(registry);
    for (RaftPeerRole role : ROLES) {
      gauge(registry, "sluice.raft.role", "1 for this node's current Raft role, 0 for the others",
          d -> d.getInfo().getCurrentRole() == role ? 1 : 0, "role", role.name().toLowerCase(Locale.ROOT));
    }
    Gauge.builder("sluice.node.ready", node, n -> Readiness.judge(RaftProbe.state(n), applyLagEntriesMax).ready() ? 1 : 0)
        .description("1 while /health/ready answers 200")
        .strongReference(true).register(registry);
    Gauge.builder("sluice.pending.writes", node, SluiceNode::pendingWrites)
        .description("Writes proposed on this node and waiting for commit (bounded by pending.writes.max)")
        .strongReference(true).register(registry);
    FunctionCounter.builder("sluice.produce.group.commit.entries", node, SluiceNode::groupCommitEntries)
        .description("Produce Raft entries this node proposed as leader (lone requests and merged groups)")
        .register(registry);
    FunctionCounter.builder("sluice.produce.group.commit.requests", node, SluiceNode::groupCommitRequests)
        .description("Produce requests carried by those entries; requests/entries is the group-commit merge ratio")
        .register(registry);
    FunctionCounter.builder("sluice.produce.order.held.requests", node, n -> n.produceOrderCounts()[0])
        .description("Produce requests the leader held because they arrived before an earlier request of the same"
            + " idempotent producer (kept in sequence order instead of refused OUT_OF_ORDER_SEQUENCE)")
        .register(registry);
    FunctionCounter.builder("sluice.produce.order.wait.expired.requests", node, n -> n.produceOrderCounts()[1])
        .description("Held produce requests whose produce.order.wait.ms ran out before the earlier request came;"
            + " proposed anyway (the state machine refuses them if still out of order)")
        .register(registry);
    this.leaderChanges = Counter.builder("sluice.raft.leader.elections")
        .description("Leader changes this node has seen (a newly elected leader, itself included)")
        .register(registry);
    this.snapshots = Counter.builder("sluice.snapshots")
        .description("Snapshots taken on this node")
        .register(registry);
    this.snapshotInstalls = Counter.builder("sluice.snapshot.installs")
        .description("Snapshots received from the leader and loaded")
        .register(registry);
    this.snapshotDuration = Timer.builder("sluice.snapshot.duration")
        .description("Time to take a snapshot (RocksDB checkpoint)")
        .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(1),
            Duration.ofSeconds(10), Duration.ofSeconds(60))
        .register(registry);
    this.followerLag = MultiGauge.builder("sluice.raft.follower.lag")
        .baseUnit("entries")
        .description("On the leader: its last log index minus the follower's match index")
        .register(registry);
  }

  private void gauge(MeterRegistry registry, String name, String description,
      ToDoubleFunction<RaftServer.Division> read, String... tags) {
    Gauge.builder(name, node, n -> {
      RaftServer.Division d = RaftProbe.division(n);
      try {
        return d == null ? Double.NaN : read.applyAsDouble(d);
      } catch (RuntimeException closing) {
        return Double.NaN;
      }
    }).description(description).tags(tags).strongReference(true).register(registry);
  }

  void onLeaderChanged(String leaderId) {
    leaderChanges.increment();
  }

  @Override
  public void onSnapshotTaken(long index, Duration took) {
    snapshots.increment();
    snapshotDuration.record(took);
  }

  @Override
  public void onSnapshotInstalled(long index) {
    snapshotInstalls.increment();
  }

  /** Re-reads the per-follower lag; series of peers that are no longer followers go away. */
  void refresh() {
    Map<String, Long> lag = RaftProbe.followerLag(RaftProbe.division(node));
    followerLag.register(lag.entrySet().stream()
        .map(e -> MultiGauge.Row.of(Tags.of("peer", e.getKey()), e.getValue()))
        .toList(), true);
  }
}
