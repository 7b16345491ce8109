package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.IndeterminateException;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.protocol.Record;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Atomic writes ({@link Producer#sendAtomically}) across three partitions of two topics on a real
 * 3-node cluster, through proxies that lose answers and deliver late copies, while the leader is
 * killed and later restarted. Afterwards, on every replica, each write is all there or not at all
 * (and each acknowledged one exactly once, at its acknowledged offsets); during the run, a reader
 * on a follower never sees part of a write.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AtomicWriteTest {
  private static final int WRITES = 400;

  @TempDir
  Path tmp;

  /** The partitions every write spans, in the order the checks read them. */
  private record Part(String topic, int partition) {}

  private static final List<Part> PARTS = List.of(new Part("atomic", 0), new Part("atomic", 1), new Part("ledger", 0));

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static int writeOf(Record r) {
    return Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).substring(1));
  }

  /**
   * With idempotence (the default), through proxies that lose answers and deliver late copies:
   * every write succeeds, exactly once.
   */
  @Test
  void eachAtomicWriteIsAllOrNothingOnEveryReplicaDespiteALeaderKill() throws Exception {
    run(true);
  }

  /**
   * Without idempotence (no injected faults: a late copy would be stored twice): the writes in
   * flight on the killed leader end indeterminate, and whichever of them landed landed whole.
   */
  @Test
  void withoutIdempotenceWritesCutByTheKillAreStillAllOrNothing() throws Exception {
    run(false);
  }

  private void run(boolean idempotent) throws Exception {
    long seed = Long.getLong("sluice.test.seed", System.nanoTime());
    System.out.println("AtomicWriteTest seed=" + seed + " (reproduce the fault plan with -Dsluice.test.seed=" + seed
        + "; thread timing still varies)");
    TestCluster c = new TestCluster(tmp, 3, Map.of());
    List<FaultyProxy> proxies = new ArrayList<>();
    try (FaultyProxy.Faults faults = idempotent ? new FaultyProxy.Faults(seed, 8, 8, 400)
        : new FaultyProxy.Faults(seed, 0, 0, 0)) {
      for (String id : c.configs.keySet()) {
        FaultyProxy proxy = new FaultyProxy(TestCluster.freePort(), c.clientAddress(id), faults);
        proxies.add(proxy);
        c.configs.get(id).put("advertised.listen", proxy.address);
      }
      for (String id : c.configs.keySet()) {
        c.startNode(id);
      }
      String oldLeader = c.awaitLeader(Duration.ofSeconds(30));
      c.awaitRegistered(Duration.ofSeconds(30));
      String bootstrap = String.join(",", proxies.stream().map(p -> p.address).toList());
      Map<Integer, List<RecordMetadata>> acked = new ConcurrentHashMap<>();
      Map<Integer, Throwable> failed = new ConcurrentHashMap<>();
      String reader = c.configs.keySet().stream().filter(id -> !id.equals(oldLeader)).findFirst().orElseThrow();
      AtomicBoolean reading = new AtomicBoolean(true);
      AtomicInteger reads = new AtomicInteger();
      AtomicReference<String> partialSeen = new AtomicReference<>();
      Thread readerThread = new Thread(() -> readWhileWriting(c, reader, reading, reads, partialSeen), "partial-reader");
      try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).requestTimeout(Duration.ofSeconds(5))
          .build()) {
        client.admin().createTopic("atomic", 2).get(30, TimeUnit.SECONDS);
        client.admin().createTopic("ledger", 1).get(30, TimeUnit.SECONDS);
        readerThread.start();
        faults.on = true;
        // A generous delivery timeout: an election plus catch-up on a loaded machine takes seconds.
        ProducerConfig config = ProducerConfig.builder().deliveryTimeout(Duration.ofSeconds(120))
            .retryBackoff(Duration.ofMillis(20)).maxInFlightBatches(5).idempotence(idempotent).build();
        int outstandingAtKill = -1;
        try (Producer producer = client.newProducer(config)) {
          List<CompletableFuture<List<RecordMetadata>>> writes = new ArrayList<>();
          for (int k = 0; k < WRITES; k++) {
            List<ProducerRecord> records = new ArrayList<>();
            for (Part p : PARTS) {
              records.add(ProducerRecord.builder(p.topic()).partition(p.partition()).value(utf8("w" + k)).build());
            }
            int n = k;
            writes.add(producer.sendAtomically(records).whenComplete((m, e) -> {
              if (e == null) {
                acked.put(n, m);
              } else {
                failed.put(n, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
              }
            }));
            if (k == 150) {
              outstandingAtKill = k + 1 - acked.size() - failed.size();
              c.kill(oldLeader);
            }
            if (k == 300) {
              c.startNode(oldLeader);
            }
            Thread.sleep(10);
          }
          for (CompletableFuture<List<RecordMetadata>> f : writes) {
            try {
              f.get(150, TimeUnit.SECONDS);
            } catch (ExecutionException counted) {
              // tallied in failed
            }
          }
        }
        System.out.println("atomic writes outstanding when the leader was killed: " + outstandingAtKill);
        assertTrue(outstandingAtKill > 0, "the leader was killed with writes in flight");
      } finally {
        reading.set(false);
        readerThread.join(TimeUnit.SECONDS.toMillis(60));
      }
      faults.on = false;
      faults.awaitCopies(Duration.ofSeconds(30));
      System.out.println("faults: " + faults + "; consistent reads on " + reader + ": " + reads.get());
      assertEquals(null, partialSeen.get(), "a reader saw part of an atomic write");
      assertTrue(reads.get() > 0, "the reader read while writes went on");
      long indeterminate = failed.values().stream().filter(e -> e instanceof IndeterminateException).count();
      if (idempotent) {
        assertTrue(faults.answersLost.get() > 0, "some atomic writes lost their answer and were retried: " + faults);
        assertEquals(0, failed.size(), failed.size() + " writes failed (" + indeterminate + " indeterminate), e.g. "
            + failed.entrySet().stream().limit(3).toList());
      } else {
        System.out.println("writes failed: " + failed.size() + ", of which indeterminate: " + indeterminate);
        assertEquals(failed.size(), indeterminate + failed.values().stream()
            .filter(e -> e instanceof io.sluice.client.SluiceException s
                && s.writeOutcome() == io.sluice.client.WriteOutcome.NOT_WRITTEN).count(), "failures say what is known");
      }
      checkAllOrNothing(c, acked, failed);
    } finally {
      c.close();
      proxies.forEach(FaultyProxy::close);
    }
  }

  /**
   * Reads the follower's partitions one after another, over and over. Each write spans all of
   * them and offsets are only ever added, so every write seen in a partition read earlier must be
   * there in each partition read after it; a write applied partition by partition would sooner or
   * later be caught half done.
   */
  private static void readWhileWriting(TestCluster c, String nodeId, AtomicBoolean reading, AtomicInteger reads,
      AtomicReference<String> partialSeen) {
    while (reading.get() && partialSeen.get() == null) {
      SluiceNode node = c.nodes.get(nodeId);
      if (node == null || node.core().topicView("atomic").isEmpty() || node.core().topicView("ledger").isEmpty()) {
        sleep(20);
        continue;
      }
      Set<Integer> before = null;
      for (Part p : PARTS) {
        Set<Integer> seen = new HashSet<>();
        TestCluster.readAll(node, p.topic()).get(p.partition()).forEach(r -> seen.add(writeOf(r)));
        if (before != null && !seen.containsAll(before)) {
          Set<Integer> missing = new HashSet<>(before);
          missing.removeAll(seen);
          partialSeen.set("writes " + missing + " were visible before " + p + " was read, but not in it");
        }
        before = seen;
      }
      reads.incrementAndGet();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * On every replica: each write is in every partition or in none, once at most, at the offsets
   * its future returned; each partition's offsets dense and in write order; replicas identical.
   */
  private static void checkAllOrNothing(TestCluster c, Map<Integer, List<RecordMetadata>> acked,
      Map<Integer, Throwable> failed) {
    c.assertReplicasIdentical();
    for (SluiceNode node : c.nodes.values()) {
      Map<Part, Map<Integer, Long>> offsets = new HashMap<>();
      for (Part p : PARTS) {
        Map<Integer, Long> where = new HashMap<>();
        List<Record> records = TestCluster.readAll(node, p.topic()).get(p.partition());
        int previous = -1;
        for (int o = 0; o < records.size(); o++) {
          Record r = records.get(o);
          assertEquals(o, r.offset(), node.id() + ": dense offsets in " + p);
          int k = writeOf(r);
          assertTrue(where.put(k, r.offset()) == null, node.id() + ": w" + k + " twice in " + p);
          assertTrue(k > previous, node.id() + ": " + p + " holds w" + k + " after w" + previous);
          previous = k;
        }
        offsets.put(p, where);
      }
      Set<Integer> anywhere = new HashSet<>();
      offsets.values().forEach(m -> anywhere.addAll(m.keySet()));
      for (int k : anywhere) {
        for (Part p : PARTS) {
          assertTrue(offsets.get(p).containsKey(k), node.id() + ": w" + k + " is stored in part: not in " + p);
        }
      }
      for (var e : acked.entrySet()) {
        for (int i = 0; i < PARTS.size(); i++) {
          RecordMetadata m = e.getValue().get(i);
          assertEquals(PARTS.get(i), new Part(m.topic(), m.partition()));
          assertEquals(offsets.get(PARTS.get(i)).get(e.getKey()), Long.valueOf(m.offset()),
              node.id() + ": w" + e.getKey() + " is where it was acknowledged in " + PARTS.get(i));
        }
      }
      assertTrue(anywhere.containsAll(acked.keySet()), node.id() + ": every acknowledged write is stored");
      for (int k : anywhere) {
        Throwable why = failed.get(k);
        assertTrue(acked.containsKey(k) || why instanceof IndeterminateException,
            node.id() + ": w" + k + " is stored although it failed with " + why);
      }
    }
  }
}
