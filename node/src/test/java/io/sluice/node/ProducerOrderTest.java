package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.InitProducerRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-producer order on the leader: one idempotent producer with the SDK's default of five
 * batches in flight per partition sends them concurrently, and the leader proposes them in the
 * producer's sequence order however its handlers and group commit interleave, so none is refused
 * OUT_OF_ORDER_SEQUENCE and re-sent, and each partition holds every record once, in send order.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ProducerOrderTest {
  @TempDir
  Path tmp;

  private static final int RECORDS = 30_000;
  private static final int PARTITIONS = 6;

  @Test
  void concurrentBatchesOfOneProducerAreProposedInSequenceOrder() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of("commit.timeout.ms", "30000"))) {
      try (SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap())
          .requestTimeout(Duration.ofSeconds(30)).build()) {
        client.admin().createTopic("ordered", PARTITIONS).get(30, TimeUnit.SECONDS);
        ProducerConfig config = ProducerConfig.builder().deliveryTimeout(Duration.ofSeconds(180)).build();
        assertEquals(5, config.maxInFlightBatches(), "the SDK's default of five batches in flight per partition");
        assertTrue(config.idempotence());
        byte[] padding = new byte[1000];
        Arrays.fill(padding, (byte) 'x');
        List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>(RECORDS);
        try (Producer producer = client.newProducer(config)) {
          for (int i = 0; i < RECORDS; i++) {
            byte[] value = ("v" + i + ":").getBytes(StandardCharsets.UTF_8);
            byte[] padded = Arrays.copyOf(value, value.length + padding.length);
            System.arraycopy(padding, 0, padded, value.length, padding.length);
            sends.add(producer.send(ProducerRecord.of("ordered", ("k" + i % 60).getBytes(StandardCharsets.UTF_8),
                padded)));
          }
          producer.flush();
          for (CompletableFuture<RecordMetadata> f : sends) {
            f.get(180, TimeUnit.SECONDS); // every send acknowledged
          }
        }

        double outOfOrder = 0;
        double rejected = 0;
        double held = 0;
        for (SluiceNode node : c.nodes.values()) {
          Scrape s = Scrape.of(node);
          outOfOrder += s.find("sluice_rejected_requests_total", "rpc", "produce", "reason", "OUT_OF_ORDER_SEQUENCE")
              .stream().mapToDouble(Scrape.Sample::value).sum();
          rejected += s.value("sluice_produce_requests_total", "result", "rejected");
          held += s.value("sluice_produce_order_held_requests_total");
        }
        System.out.println("produce requests refused OUT_OF_ORDER_SEQUENCE: " + outOfOrder + ", rejected in all: "
            + rejected + ", held for order: " + held);
        assertEquals(0, outOfOrder, "produce requests refused OUT_OF_ORDER_SEQUENCE (and re-sent)");
        assertEquals(0, rejected, "produce requests rejected for any reason");

        c.assertReplicasIdentical();
        SluiceNode leader = c.currentLeader();
        Set<Integer> stored = new HashSet<>();
        for (Map.Entry<Integer, List<Record>> e : TestCluster.readAll(leader, "ordered").entrySet()) {
          int previous = -1;
          for (int o = 0; o < e.getValue().size(); o++) {
            Record r = e.getValue().get(o);
            assertEquals(o, r.offset(), "offsets of partition " + e.getKey() + " are dense");
            String v = new String(r.value(), StandardCharsets.UTF_8);
            int n = Integer.parseInt(v.substring(1, v.indexOf(':')));
            assertTrue(stored.add(n), "v" + n + " stored twice");
            assertTrue(n > previous, "partition " + e.getKey() + " holds v" + n + " after v" + previous);
            previous = n;
          }
        }
        assertEquals(RECORDS, stored.size(), "every record stored");
      }
    }
  }

  @Test
  void anEarlyRequestWaitsForTheEarlierOneAndIsRefusedOnlyWhenItNeverComes() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of(NodeConfig.PRODUCE_ORDER_WAIT_MS.name(), "30000"))) {
      SluiceNode leader = c.currentLeader();
      ManagedChannel channel = NettyChannelBuilder.forTarget(c.clientAddress(leader.id())).usePlaintext().build();
      try {
        TopicServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.SECONDS)
            .createTopic(CreateTopicRequest.newBuilder().setName("early").setPartitions(1).build());
        ProduceServiceGrpc.ProduceServiceFutureStub produce = ProduceServiceGrpc.newFutureStub(channel);
        long pid = ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.SECONDS)
            .initProducer(InitProducerRequest.getDefaultInstance()).getProducerId();

        // Sequence 2 arrives first: held (not refused) until sequences 0..1 arrive, then both land in order.
        long[] before = leader.produceOrderCounts();
        var second = produce.withDeadlineAfter(60, TimeUnit.SECONDS).produce(request("early", pid, 2, "b2", "b3"));
        TestCluster.await(Duration.ofSeconds(30), "the early request to be held",
            () -> leader.produceOrderCounts()[0] == before[0] + 1);
        assertFalse(second.isDone(), "the early request waits for the earlier one");
        ProduceResponse first = produce.withDeadlineAfter(60, TimeUnit.SECONDS)
            .produce(request("early", pid, 0, "b0", "b1")).get(60, TimeUnit.SECONDS);
        assertEquals(0, first.getResults(0).getBaseOffset());
        assertEquals(2, second.get(60, TimeUnit.SECONDS).getResults(0).getBaseOffset());
        assertEquals(before[1], leader.produceOrderCounts()[1], "no wait ran out");
        List<String> values = TestCluster.readAll(leader, "early").get(0).stream()
            .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
        assertEquals(List.of("b0", "b1", "b2", "b3"), values);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aRequestWhosePredecessorNeverComesIsRefusedOutOfOrderAfterTheWait() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of(NodeConfig.PRODUCE_ORDER_WAIT_MS.name(), "300"))) {
      SluiceNode leader = c.currentLeader();
      ManagedChannel channel = NettyChannelBuilder.forTarget(c.clientAddress(leader.id())).usePlaintext().build();
      try {
        TopicServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.SECONDS)
            .createTopic(CreateTopicRequest.newBuilder().setName("gap").setPartitions(1).build());
        ProduceServiceGrpc.ProduceServiceBlockingStub produce =
            ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        long pid = produce.initProducer(InitProducerRequest.getDefaultInstance()).getProducerId();
        produce.produce(request("gap", pid, 0, "c0"));
        long[] before = leader.produceOrderCounts();
        // Sequence 5 after 0: 1..4 never come. Held for the wait, then judged by the state machine.
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
            () -> produce.produce(request("gap", pid, 5, "c5")));
        assertEquals("OUT_OF_ORDER_SEQUENCE", FaultyProxy.reason(refused));
        long[] after = leader.produceOrderCounts();
        assertEquals(before[0] + 1, after[0], "held");
        assertEquals(before[1] + 1, after[1], "its wait ran out");
        // The producer goes on in order.
        assertEquals(1, produce.produce(request("gap", pid, 1, "c1")).getResults(0).getBaseOffset());
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static ProduceRequest request(String topic, long producerId, int baseSequence, String... values) {
    RecordBatch.Builder b = RecordBatch.builder().producer(producerId, (short) 0, baseSequence);
    for (String v : values) {
      b.add(1_000L, null, v.getBytes(StandardCharsets.UTF_8), List.of());
    }
    return ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(0).setRecords(ByteString.copyFrom(b.build()))).build();
  }
}
