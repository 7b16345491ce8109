package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Streaming consumption: pushed as applied, bounded by credit, and continuous across a leader change. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class StreamingTest {
  @TempDir
  Path tmp;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void theNodeSendsNoMoreThanTheGrantedCredit() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
         SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).build()) {
      client.admin().createTopic("credit", 1).get(60, TimeUnit.SECONDS);
      String leader = c.clientAddress(c.awaitLeader(Duration.ofSeconds(30)));
      ManagedChannel ch = NettyChannelBuilder.forTarget(leader).usePlaintext().build();
      try {
        var produce = ProduceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
        for (int i = 0; i < 5; i++) {
          byte[] batch = RecordBatch.builder().add(1, null, utf8("b" + i), List.of()).build();
          produce.produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder()
              .setTopic("credit").setPartition(0).setRecords(ByteString.copyFrom(batch))).build());
        }
        BlockingQueue<SubscribeResponse> received = new LinkedBlockingQueue<>();
        StreamObserver<SubscribeRequest> requests = FetchServiceGrpc.newStub(ch).subscribe(new StreamObserver<>() {
          @Override
          public void onNext(SubscribeResponse r) {
            received.add(r);
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
        requests.onNext(SubscribeRequest.newBuilder().setCreditBytes(1)
            .addPartitions(PartitionFetch.newBuilder().setTopic("credit").setPartition(0).setOffset(0)).build());
        SubscribeResponse first = received.poll(10, TimeUnit.SECONDS);
        assertEquals(1, first.getData().getBatchesCount(), "one credit byte still moves one whole batch");
        assertNull(received.poll(1, TimeUnit.SECONDS), "nothing more without credit");
        // Credit is returned as batches are consumed: granting back the first batch's size opens room for one more.
        requests.onNext(SubscribeRequest.newBuilder().setCreditBytes(first.getData().getBatches(0).size()).build());
        SubscribeResponse second = received.poll(10, TimeUnit.SECONDS);
        assertEquals(1, RecordBatch.baseOffset(second.getData().getBatches(0).asReadOnlyByteBuffer()),
            "continues exactly after the first batch");
        requests.onNext(SubscribeRequest.newBuilder().setCreditBytes(1 << 20).build());
        int batches = 0;
        for (SubscribeResponse r; (r = received.poll(2, TimeUnit.SECONDS)) != null; ) {
          batches += r.getData().getBatchesCount();
        }
        assertEquals(3, batches, "the rest, once credit allows");
        // A new batch is pushed as soon as it is applied, without another request.
        byte[] batch = RecordBatch.builder().add(1, null, utf8("late"), List.of()).build();
        produce.produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder()
            .setTopic("credit").setPartition(0).setRecords(ByteString.copyFrom(batch))).build());
        SubscribeResponse pushed = received.poll(10, TimeUnit.SECONDS);
        assertEquals(5, RecordBatch.baseOffset(pushed.getData().getBatches(0).asReadOnlyByteBuffer()));
        requests.onCompleted();
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void aStreamingConsumerReadsEverythingOnceAcrossALeaderChange() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
         SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build()) {
      client.admin().createTopic("s", 3).get(60, TimeUnit.SECONDS);
      Map<TopicPartition, List<String>> consumed = new ConcurrentHashMap<>();
      Map<TopicPartition, Long> lastOffset = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
      Thread reader = new Thread(() -> {
        try (Consumer consumer = client.newConsumer()) {
          List<TopicPartition> tps = consumer.partitionsFor("s");
          consumer.assign(tps);
          consumer.seekToBeginning(tps);
          while (!stop.get()) {
            for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
              TopicPartition tp = new TopicPartition(r.topic(), r.partition());
              Long last = lastOffset.put(tp, r.offset());
              if (last != null && r.offset() != last + 1) {
                problems.add(tp + ": offset " + r.offset() + " after " + last);
              }
              consumed.computeIfAbsent(tp, k -> new ArrayList<>()).add(new String(r.value(), StandardCharsets.UTF_8));
            }
          }
        } catch (RuntimeException e) {
          problems.add("consumer failed: " + e);
        }
      }, "streaming-reader");
      reader.start();

      Map<String, RecordMetadata> acked = new HashMap<>();
      String oldLeader = c.awaitLeader(Duration.ofSeconds(30));
      try (Producer producer = client.newProducer()) {
        for (int round = 0; round < 2; round++) {
          List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
          for (int i = 0; i < 1000; i++) {
            String v = "k" + (i % 7) + ":" + round + ":" + i;
            sends.add(producer.send(ProducerRecord.of("s", utf8("k" + (i % 7)), utf8(v))));
          }
          for (int i = 0; i < sends.size(); i++) {
            acked.put("k" + (i % 7) + ":" + round + ":" + i, sends.get(i).get(60, TimeUnit.SECONDS));
          }
          if (round == 0) {
            c.kill(oldLeader); // the stream most likely came from the leader; it must move on
          }
        }
      }
      TestCluster.await(Duration.ofSeconds(60), "the consumer to see all 2000 records",
          () -> !problems.isEmpty() || consumed.values().stream().mapToInt(List::size).sum() >= 2000);
      stop.set(true);
      reader.join(10_000);
      assertTrue(problems.isEmpty(), problems.toString());
      int total = consumed.values().stream().mapToInt(List::size).sum();
      assertEquals(2000, total, "every record exactly once");
      for (var e : consumed.entrySet()) {
        List<String> values = e.getValue();
        for (int offset = 0; offset < values.size(); offset++) {
          RecordMetadata m = acked.get(values.get(offset));
          assertEquals(e.getKey().partition(), m.partition());
          assertEquals(offset, m.offset(), values.get(offset) + " read at the offset it was acknowledged at");
        }
      }
    }
  }
}
