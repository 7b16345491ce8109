package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.AssignmentStrategy;
import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerGroupDescription;
import io.sluice.client.ConsumerRebalanceListener;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.OffsetResetPolicy;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer groups end to end through the SDK while a producer keeps sending: consumers join,
 * leave, crash, and the leader dies; afterwards every acknowledged record was consumed (none
 * skipped) and no record was delivered again after its offset had been committed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConsumerGroupTest {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path tmp;

  /** Deliveries and successful commits in one global order. */
  static final class Ledger {
    record Event(boolean commit, String consumer, TopicPartition tp, long offset, long seq) {}

    final AtomicLong seq = new AtomicLong();
    final List<Event> events = new ArrayList<>();
    final Map<TopicPartition, Set<String>> owners = new ConcurrentHashMap<>();
    final AtomicInteger fencedCommits = new AtomicInteger();
    final Set<String> delivered = ConcurrentHashMap.newKeySet();

    synchronized void deliver(String consumer, ConsumerRecord r) {
      TopicPartition tp = new TopicPartition(r.topic(), r.partition());
      events.add(new Event(false, consumer, tp, r.offset(), seq.incrementAndGet()));
      owners.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(consumer);
      delivered.add(r.partition() + "@" + r.offset());
    }

    /** Called after the commit succeeded. */
    synchronized void committed(String consumer, Map<TopicPartition, OffsetAndMetadata> offsets) {
      offsets.forEach((tp, o) -> events.add(new Event(true, consumer, tp, o.offset(), seq.incrementAndGet())));
    }

    /** Every delivery of a record whose offset the group had committed before that delivery. */
    synchronized List<String> redeliveredAfterCommit() {
      Map<TopicPartition, Long> committed = new HashMap<>();
      List<String> violations = new ArrayList<>();
      for (Event e : events) {
        if (e.commit()) {
          committed.merge(e.tp(), e.offset(), Math::max);
        } else if (e.offset() < committed.getOrDefault(e.tp(), 0L)) {
          violations.add(e.consumer() + " got " + e.tp() + "@" + e.offset() + " after offset "
              + committed.get(e.tp()) + " was committed");
        }
      }
      return violations;
    }

    synchronized long deliveries() {
      return events.stream().filter(e -> !e.commit()).count();
    }
  }

  /** One group consumer on its own client and thread, committing by hand every few polls and on revoke. */
  static final class Worker implements AutoCloseable {
    final String name;
    final SluiceClient client;
    final Consumer consumer;
    final Ledger ledger;
    final Thread thread;
    volatile boolean running = true;
    volatile boolean crash;
    volatile Throwable failure;

    Worker(String name, String bootstrap, String group, String topic, Ledger ledger) {
      this.name = name;
      this.ledger = ledger;
      this.client = SluiceClient.builder().bootstrap(bootstrap).requestTimeout(Duration.ofSeconds(5)).build();
      this.consumer = client.newConsumer(ConsumerConfig.builder().groupId(group).clientId(name)
          .enableAutoCommit(false).sessionTimeout(SESSION).heartbeatInterval(Duration.ofMillis(300))
          .rebalanceTimeout(Duration.ofSeconds(15)).assignmentStrategy(AssignmentStrategy.STICKY)
          .offsetResetPolicy(OffsetResetPolicy.EARLIEST).build());
      this.thread = new Thread(() -> run(topic), "group-worker-" + name);
      thread.start();
    }

    private void run(String topic) {
      try {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
          @Override
          public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit(); // the old generation is still valid while the group prepares
          }

          @Override
          public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
        });
        int polls = 0;
        while (running) {
          List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
          records.forEach(r -> ledger.deliver(name, r));
          if (!records.isEmpty() && ++polls % 3 == 0) {
            commit();
          }
        }
        if (!crash) {
          commit();
          consumer.close(); // leaves the group
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    void commit() {
      Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
      for (TopicPartition tp : consumer.assignment()) {
        offsets.put(tp, OffsetAndMetadata.of(consumer.position(tp)));
      }
      if (offsets.isEmpty()) {
        return;
      }
      try {
        consumer.commitSync(offsets);
        ledger.committed(name, offsets);
      } catch (CommitFailedException e) {
        ledger.fencedCommits.incrementAndGet(); // the group moved on; the records will come again
      } catch (io.sluice.client.SluiceException e) {
        // Outcome unknown (e.g. the leader died mid-commit): not counted as committed, which only
        // makes the redelivery check more lenient, never wrong.
      }
    }

    /** Stops polling; a graceful stop commits and leaves, a crash just goes silent. */
    void stop(boolean crash) throws InterruptedException {
      this.crash = crash;
      running = false;
      thread.join(TimeUnit.SECONDS.toMillis(60));
      if (crash) {
        client.close(); // no more heartbeats: the leader expires the member after its session timeout
      }
      if (failure != null) {
        throw new AssertionError(name + " failed", failure);
      }
    }

    @Override
    public void close() throws InterruptedException {
      if (thread.isAlive()) {
        stop(false);
      }
      client.close();
    }
  }

  private static ConsumerGroupDescription describe(SluiceClient admin, String group) {
    return admin.admin().describeGroup(group).join();
  }

  private static void awaitStableWith(SluiceClient admin, String group, Set<String> clientIds) {
    TestCluster.await(Duration.ofSeconds(60), "group " + group + " stable with " + clientIds, () -> {
      ConsumerGroupDescription d;
      try {
        d = describe(admin, group);
      } catch (java.util.concurrent.CompletionException e) {
        return false; // not created yet (the first join is on its way)
      }
      Set<String> members = new HashSet<>();
      d.members().forEach(m -> members.add(m.clientId()));
      return d.state().equals("STABLE") && members.equals(clientIds);
    });
  }

  private static void awaitDelivered(Ledger ledger, long more) {
    long target = ledger.deliveries() + more;
    TestCluster.await(Duration.ofSeconds(60), more + " more deliveries", () -> ledger.deliveries() >= target);
  }

  private static void awaitAllConsumed(SteadyProducer producer, Ledger ledger, List<Worker> workers) {
    TestCluster.await(Duration.ofSeconds(60), "every acknowledged record consumed", () -> {
      for (Worker w : workers) {
        if (w.failure != null) {
          throw new AssertionError(w.name + " failed", w.failure);
        }
      }
      return producer.acked.values().stream().allMatch(a -> ledger.delivered.contains(a.partition() + "@" + a.offset()));
    });
  }

  @Test
  void consumersJoiningLeavingAndCrashingNeverRedeliverCommittedRecordsNorSkipAny() throws Exception {
    Ledger ledger = new Ledger();
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
        SluiceClient admin = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build()) {
      admin.admin().createTopic("in", 6).join();
      SteadyProducer producer = new SteadyProducer(admin, "in");
      List<Worker> workers = new ArrayList<>();
      try {
        Worker c1 = new Worker("c1", c.bootstrap(), "g", "in", ledger);
        workers.add(c1);
        awaitStableWith(admin, "g", Set.of("c1"));
        awaitDelivered(ledger, 300);
        Worker c2 = new Worker("c2", c.bootstrap(), "g", "in", ledger);
        workers.add(c2);
        awaitStableWith(admin, "g", Set.of("c1", "c2"));
        awaitDelivered(ledger, 300);
        workers.add(new Worker("c3", c.bootstrap(), "g", "in", ledger));
        awaitStableWith(admin, "g", Set.of("c1", "c2", "c3"));
        awaitDelivered(ledger, 300);
        c1.stop(false); // leaves: the others rebalance at once
        awaitStableWith(admin, "g", Set.of("c2", "c3"));
        awaitDelivered(ledger, 300);
        c2.stop(true); // crashes: expired after its session timeout
        awaitStableWith(admin, "g", Set.of("c3"));
        workers.add(new Worker("c4", c.bootstrap(), "g", "in", ledger));
        awaitStableWith(admin, "g", Set.of("c3", "c4"));
        awaitDelivered(ledger, 300);
      } finally {
        producer.close();
      }
      assertEquals(0, producer.indeterminate.get(), producer.summary());
      awaitAllConsumed(producer, ledger, workers);
      for (Worker w : workers) {
        w.close();
      }
      List<String> violations = ledger.redeliveredAfterCommit();
      assertTrue(violations.isEmpty(), violations.size() + " committed records delivered again, e.g. "
          + violations.subList(0, Math.min(5, violations.size())));
      ConsumerGroupDescription d = describe(admin, "g");
      assertEquals("EMPTY", d.state());
      assertTrue(d.generation() >= 6, "rebalances happened: " + d);
      assertEquals(6, d.offsets().size(), d.toString());
      for (ConsumerGroupDescription.PartitionOffset o : d.offsets()) {
        assertEquals(o.endOffset(), o.committedOffset(), "everything consumed was committed: " + o);
        assertEquals(0, o.lag());
      }
      assertTrue(ledger.owners.values().stream().anyMatch(s -> s.size() > 1), "partitions moved between consumers");
    }
  }

  @Test
  void aLeaderChangeExpiresNoLiveMemberAndKeepsCommittedOffsetsOnEveryReplica() throws Exception {
    Ledger ledger = new Ledger();
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
        SluiceClient admin = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build()) {
      admin.admin().createTopic("in", 4).join();
      SteadyProducer producer = new SteadyProducer(admin, "in");
      List<Worker> workers = new ArrayList<>();
      ConsumerGroupDescription before;
      try {
        workers.add(new Worker("a", c.bootstrap(), "h", "in", ledger));
        workers.add(new Worker("b", c.bootstrap(), "h", "in", ledger));
        awaitStableWith(admin, "h", Set.of("a", "b"));
        awaitDelivered(ledger, 300);
        before = describe(admin, "h");
        String oldLeader = c.awaitLeader(Duration.ofSeconds(30));
        c.kill(oldLeader);
        c.awaitLeader(Duration.ofSeconds(60));
        // Longer than a session timeout under the new leader: only a missing grace period (or a
        // dead consumer) would expire anyone.
        Thread.sleep(SESSION.toMillis() * 2);
        awaitDelivered(ledger, 300);
      } finally {
        producer.close();
      }
      ConsumerGroupDescription after = describe(admin, "h");
      assertEquals(before.generation(), after.generation(), "no rebalance because leadership moved: " + after);
      assertEquals(before.members().stream().map(ConsumerGroupDescription.Member::memberId).toList(),
          after.members().stream().map(ConsumerGroupDescription.Member::memberId).toList());
      awaitAllConsumed(producer, ledger, workers);
      for (Worker w : workers) {
        w.close();
      }
      assertTrue(ledger.redeliveredAfterCommit().isEmpty(), ledger.redeliveredAfterCommit().toString());
      c.awaitConverged(Duration.ofSeconds(30));
      Map<Object, Object> reference = null;
      for (SluiceNode n : c.nodes.values()) {
        Map<Object, Object> offsets = new HashMap<>();
        n.core().committedOffsets("h").forEach((tp, o) -> offsets.put(tp, o.getOffset()));
        assertEquals(4, offsets.size(), n.id() + ": " + offsets);
        if (reference == null) {
          reference = offsets;
        }
        assertEquals(reference, offsets, "committed offsets on " + n.id());
      }
    }
  }
}
