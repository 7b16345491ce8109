package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.InitProducerRequest;
import io.sluice.api.v1.InitProducerResponse;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import io.sluice.statemachine.LogCore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once producing on in-JVM clusters of real nodes: the raw protocol (duplicate and
 * reordered deliveries of the same batches), then the SDK's idempotent producer streaming
 * through fault-injecting proxies while the leader is killed and restarted.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class IdempotentProducerTest {
  @TempDir
  Path tmp;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ByteString batch(long producerId, int epoch, int baseSequence, String... values) {
    RecordBatch.Builder b = RecordBatch.builder().producer(producerId, (short) epoch, baseSequence);
    for (String v : values) {
      b.add(1_000L, null, utf8(v), List.of());
    }
    return ByteString.copyFrom(b.build());
  }

  private static ProduceRequest request(String topic, int partition, ByteString records) {
    return ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic(topic)
        .setPartition(partition).setRecords(records)).build();
  }

  private static List<String> values(List<Record> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void duplicateAndReorderedDeliveriesOfTheSameBatchesAreStoredOnceInSequenceOrder() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of())) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(c.clientAddress(c.currentLeader().id()))
          .usePlaintext().build();
      try {
        TopicServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .createTopic(CreateTopicRequest.newBuilder().setName("raw").setPartitions(2).build());
        ProduceServiceGrpc.ProduceServiceBlockingStub produce =
            ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        InitProducerResponse id = produce.initProducer(InitProducerRequest.getDefaultInstance());
        long pid = id.getProducerId();
        assertEquals(0, id.getProducerEpoch());

        // The same batch delivered twice: stored once, the second answer names the first offset.
        ProduceRequest twice = request("raw", 0, batch(pid, 0, 0, "a0", "a1", "a2"));
        PartitionResult first = produce.produce(twice).getResults(0);
        PartitionResult second = produce.produce(twice).getResults(0);
        assertEquals(0, first.getBaseOffset());
        assertFalse(first.getDuplicate());
        assertEquals(0, second.getBaseOffset());
        assertTrue(second.getDuplicate(), "the second delivery is recognised");

        // Reordered: sequence 3 arrives before 0..2 and is refused, nothing written.
        List<ProduceRequest> inOrder = new ArrayList<>();
        for (int seq = 0; seq < 4; seq++) {
          inOrder.add(request("raw", 1, batch(pid, 0, seq, "b" + seq)));
        }
        StatusRuntimeException early = assertThrows(StatusRuntimeException.class, () -> produce.produce(inOrder.get(3)));
        assertEquals(Status.Code.FAILED_PRECONDITION, early.getStatus().getCode());
        assertEquals("OUT_OF_ORDER_SEQUENCE", FaultyProxy.reason(early));
        assertEquals(SluiceErrors.NOT_WRITTEN, writeOutcome(early));
        for (int seq = 0; seq < 4; seq++) {
          PartitionResult r = produce.produce(inOrder.get(seq)).getResults(0);
          assertEquals(seq, r.getBaseOffset(), "offsets follow sequences");
          assertFalse(r.getDuplicate());
        }
        // Late copies of batches already stored, in any order: their original offsets, nothing appended.
        for (int seq : new int[] {3, 1, 0, 2}) {
          PartitionResult r = produce.produce(inOrder.get(seq)).getResults(0);
          assertTrue(r.getDuplicate(), "copy of sequence " + seq);
          assertEquals(seq, r.getBaseOffset());
        }

        // A wrong epoch and an id never issued are refused.
        StatusRuntimeException fenced = assertThrows(StatusRuntimeException.class,
            () -> produce.produce(request("raw", 1, batch(pid, 1, 4, "fenced"))));
        assertEquals("PRODUCER_FENCED", FaultyProxy.reason(fenced));
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
            () -> produce.produce(request("raw", 1, batch(pid + 1_000_000, 0, 0, "unknown"))));
        assertEquals("UNKNOWN_PRODUCER_ID", FaultyProxy.reason(unknown));
      } finally {
        channel.shutdownNow();
      }

      c.assertReplicasIdentical();
      for (SluiceNode node : c.nodes.values()) {
        Map<Integer, List<Record>> all = TestCluster.readAll(node, "raw");
        assertEquals(List.of("a0", "a1", "a2"), values(all.get(0)), node.id());
        assertEquals(List.of("b0", "b1", "b2", "b3"), values(all.get(1)), node.id());
        for (List<Record> records : all.values()) {
          for (int i = 0; i < records.size(); i++) {
            assertEquals(i, records.get(i).offset(), node.id() + ": dense offsets");
          }
        }
      }
    }
  }

  private static String writeOutcome(StatusRuntimeException e) {
    com.google.rpc.Status status = io.grpc.protobuf.StatusProto.fromThrowable(e);
    for (com.google.protobuf.Any detail : status.getDetailsList()) {
      if (detail.is(com.google.rpc.ErrorInfo.class)) {
        try {
          return detail.unpack(com.google.rpc.ErrorInfo.class).getMetadataOrDefault(SluiceErrors.WRITE_OUTCOME, null);
        } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
          throw new AssertionError(ex);
        }
      }
    }
    return null;
  }

  /** Where an acknowledged record was written. */
  private record Ack(int partition, long offset) {}

  /**
   * Thousands of keyed sends to a 3-partition topic through proxies that lose answers after the
   * write and deliver late copies of requests; the leader is killed (its unflushed state lost)
   * mid-stream and restarted later. Every record must be acknowledged and stored exactly once on
   * every replica, in send order within its partition, at its acknowledged offset.
   */
  @Test
  void everyRecordOnceInSendOrderDespiteLostAnswersLateCopiesAndALeaderKill() throws Exception {
    long seed = Long.getLong("sluice.test.seed", System.nanoTime());
    System.out.println("IdempotentProducerTest seed=" + seed + " (reproduce the fault plan with -Dsluice.test.seed="
        + seed + "; thread timing still varies)");
    TestCluster c = new TestCluster(tmp, 3, Map.of());
    List<FaultyProxy> proxies = new ArrayList<>();
    try (FaultyProxy.Faults faults = new FaultyProxy.Faults(seed, 8, 8, 400)) {
      for (String id : c.configs.keySet()) {
        FaultyProxy proxy = new FaultyProxy(TestCluster.freePort(), c.clientAddress(id), faults);
        proxies.add(proxy);
        c.configs.get(id).put("advertised.listen", proxy.address);
      }
      for (String id : c.configs.keySet()) {
        c.startNode(id);
      }
      c.awaitLeader(Duration.ofSeconds(30));
      c.awaitRegistered(Duration.ofSeconds(30));
      String bootstrap = String.join(",", proxies.stream().map(p -> p.address).toList());
      try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).requestTimeout(Duration.ofSeconds(5))
          .build()) {
        client.admin().createTopic("exactly", 3).get(30, TimeUnit.SECONDS);
        streamWithLeaderKill(c, client, faults);
      }
      faults.on = false;
      faults.awaitCopies(Duration.ofSeconds(30));
      System.out.println("faults: " + faults);
      assertTrue(faults.answersLost.get() > 0 && faults.duplicateAnswers.get() > 0,
          "some writes lost their answer and their retries were recognised: " + faults);
      assertTrue(faults.copiesNotStored.get() > 0, "some late copies arrived and were not stored: " + faults);
    } finally {
      c.close();
      proxies.forEach(FaultyProxy::close);
    }
  }

  private static final int TOTAL = 4000;
  private static final int KEYS = 40;

  private void streamWithLeaderKill(TestCluster c, SluiceClient client, FaultyProxy.Faults faults) throws Exception {
    assertTrue(ProducerConfig.defaults().idempotence(), "idempotence is on by default");
    // A generous delivery timeout: on a loaded machine an election plus catch-up can take seconds,
    // and no record should run out of time (that would make it indeterminate).
    // Small batches: many requests, so many chances for faults.
    // Five batches per partition in flight: late copies and retries reach the leader out of order.
    ProducerConfig config = ProducerConfig.builder().linger(Duration.ofMillis(2)).batchSizeBytesMax(1024)
        .deliveryTimeout(Duration.ofSeconds(120)).retryBackoff(Duration.ofMillis(20)).maxInFlightBatches(5).build();
    Map<Integer, Ack> acked = new ConcurrentHashMap<>();
    Map<Integer, Throwable> failed = new ConcurrentHashMap<>();
    String oldLeader = c.currentLeader().id();
    int outstandingAtKill = -1;
    faults.on = true;
    try (Producer producer = client.newProducer(config)) {
      List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < TOTAL; i++) {
        int n = i;
        sends.add(producer.send(ProducerRecord.of("exactly", utf8("k" + (i % KEYS)), utf8("v" + i)))
            .whenComplete((m, e) -> {
              if (e == null) {
                acked.put(n, new Ack(m.partition(), m.offset()));
              } else {
                failed.put(n, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
              }
            }));
        if (i == 1500) {
          outstandingAtKill = i + 1 - acked.size() - failed.size();
          c.kill(oldLeader); // requests in flight on it: their outcome is unknown to the producer
        }
        if (i == 3000) {
          c.startNode(oldLeader);
        }
        if (i % 10 == 0) {
          Thread.sleep(10); // a stream over seconds, not one burst
        }
      }
      producer.flush();
      for (CompletableFuture<RecordMetadata> f : sends) {
        try {
          f.get(150, TimeUnit.SECONDS);
        } catch (ExecutionException counted) {
          // tallied in failed
        }
      }
    }
    System.out.println("sends outstanding when the leader was killed: " + outstandingAtKill);
    assertTrue(outstandingAtKill > 0, "the leader was killed mid-stream");
    // The point of idempotence: no record ends indeterminate, none fails.
    long indeterminate = failed.values().stream().filter(e -> e instanceof io.sluice.client.IndeterminateException).count();
    assertEquals(0, indeterminate, indeterminate + " indeterminate sends, e.g. " + sample(failed));
    assertEquals(0, failed.size(), failed.size() + " failed sends, e.g. " + sample(failed));
    assertEquals(TOTAL, acked.size());
    checkExactlyOnceInSendOrder(c, acked);
  }

  private static String sample(Map<Integer, Throwable> failed) {
    return failed.entrySet().stream().limit(3).map(e -> "v" + e.getKey() + ": " + e.getValue()).toList().toString();
  }

  /**
   * On every replica: each sent value stored exactly once, at its acknowledged offset; each
   * partition's offsets dense and its records in send order (hence each key's too); replicas
   * byte-identical.
   */
  private static void checkExactlyOnceInSendOrder(TestCluster c, Map<Integer, Ack> acked) {
    c.assertReplicasIdentical();
    for (SluiceNode node : c.nodes.values()) {
      Map<Integer, List<Record>> all = TestCluster.readAll(node, "exactly");
      int stored = 0;
      Map<Integer, Ack> where = new HashMap<>();
      for (var e : all.entrySet()) {
        int previous = -1;
        for (int o = 0; o < e.getValue().size(); o++) {
          Record r = e.getValue().get(o);
          assertEquals(o, r.offset(), node.id() + ": offsets of partition " + e.getKey() + " are dense");
          int n = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).substring(1));
          assertTrue(where.put(n, new Ack(e.getKey(), r.offset())) == null, node.id() + ": v" + n + " stored twice");
          assertTrue(n > previous, node.id() + ": partition " + e.getKey() + " holds v" + n + " after v" + previous);
          previous = n;
          stored++;
        }
      }
      assertEquals(TOTAL, stored, node.id() + ": records stored");
      Map<String, Long> lastOffsetOfKey = new HashMap<>();
      for (int n = 0; n < TOTAL; n++) {
        assertEquals(acked.get(n), where.get(n), node.id() + ": v" + n + " is where its send was acknowledged");
        Long before = lastOffsetOfKey.put("k" + (n % KEYS), where.get(n).offset());
        assertTrue(before == null || before < where.get(n).offset(), node.id() + ": key order of v" + n);
      }
    }
  }
}
