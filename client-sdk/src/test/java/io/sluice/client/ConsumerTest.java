package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.protocol.Header;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Consumer behaviour against an in-process fake cluster. */
class ConsumerTest {
  private static final Duration POLL = Duration.ofSeconds(10);
  private static final TopicPartition P0 = new TopicPartition("orders", 0);
  private static final TopicPartition P1 = new TopicPartition("orders", 1);
  private static final TopicPartition P2 = new TopicPartition("orders", 2);

  private FakeCluster cluster;
  private SluiceClient client;
  private Consumer consumer;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new FakeCluster(2);
    cluster.createTopic("orders", 3);
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  /** Appends one batch of records with the given values to a partition, as a producer would. */
  private void appendBatch(int partition, String... values) {
    RecordBatch.Builder b = RecordBatch.builder();
    for (String v : values) {
      b.add(1000, null, v.getBytes(StandardCharsets.UTF_8), List.of(new Header("h", new byte[] {1})));
    }
    cluster.append(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic("orders")
        .setPartition(partition).setRecords(ByteString.copyFrom(b.build()))).build());
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  private Consumer consumer() {
    client = cluster.client().build();
    return client.newConsumer(ConsumerConfig.builder().fetchMaxWait(Duration.ofMillis(20)).build());
  }

  @Test
  void skipsRecordsBelowThePositionInAFetchedBatch() {
    appendBatch(0, "v0", "v1", "v2", "v3", "v4");
    consumer = consumer();
    consumer.assign(List.of(P0));
    consumer.seek(P0, 3);

    List<ConsumerRecord> records = consumer.poll(POLL);

    assertEquals(List.of("v3", "v4"), values(records));
    assertEquals(3, records.get(0).offset());
    assertEquals(1000, records.get(0).timestampMs());
    assertEquals(List.of(new Header("h", new byte[] {1})), records.get(0).headers());
    assertEquals(5, consumer.position(P0));
    assertEquals(List.of(), consumer.poll(Duration.ofMillis(50)), "nothing new at the end offset");
  }

  @Test
  void fetchesEveryAssignedPartitionInOneRequest() {
    appendBatch(0, "a0", "a1");
    appendBatch(2, "c0");
    consumer = consumer();
    consumer.assign(List.of(P0, P1, P2));

    List<ConsumerRecord> records = consumer.poll(POLL);

    assertEquals(List.of("a0", "a1", "c0"), values(records));
    FetchRequest first = cluster.node(1).fetchRequests.isEmpty()
        ? cluster.node(2).fetchRequests.get(0) : cluster.node(1).fetchRequests.get(0);
    assertEquals(3, first.getPartitionsCount());
    assertTrue(first.getMaxWaitMs() > 0, "long-polls");
    assertEquals(2, consumer.position(P0));
    assertEquals(0, consumer.position(P1));
    assertEquals(1, consumer.position(P2));
  }

  @Test
  void corruptBatchThrowsAndKeepsThePosition() {
    appendBatch(0, "v0", "v1");
    byte[] stored = cluster.topics.get("orders").get(0).batches.get(0).clone();
    stored[stored.length - 1] ^= 0x40; // flip a bit in the last record: the CRC no longer matches
    for (FakeCluster.FakeNode n : cluster.nodes) {
      n.fetch = (q, o) -> FakeCluster.FakeNode.answer(o, FetchResponse.newBuilder().addPartitions(
          PartitionData.newBuilder().setTopic("orders").setPartition(0).setEndOffset(2)
              .addBatches(ByteString.copyFrom(stored))).build());
    }
    consumer = consumer();
    consumer.assign(List.of(P0));

    assertThrows(CorruptRecordException.class, () -> consumer.poll(POLL));
    assertEquals(0, consumer.position(P0));
  }

  @Test
  void failsOverToAnotherNodeWhenOneIsUnreachable() {
    appendBatch(1, "x");
    cluster.node(1).fetch = (q, o) -> o.onError(Status.UNAVAILABLE.withDescription("gone").asRuntimeException());
    client = cluster.client(cluster.node(1)).build(); // n2 is learned from DescribeCluster
    consumer = client.newConsumer(ConsumerConfig.builder().fetchMaxWait(Duration.ofMillis(20)).build());
    consumer.assign(List.of(P1));

    assertEquals(List.of("x"), values(consumer.poll(POLL)));
    assertTrue(cluster.node(2).fetchRequests.size() >= 1);
  }

  @Test
  void seeksToBeginningAndEndAndReportsEndOffsets() {
    appendBatch(0, "v0", "v1", "v2");
    consumer = consumer();
    consumer.assign(List.of(P0, P1));

    assertEquals(List.of(P0, P1, P2), consumer.partitionsFor("orders"));
    assertEquals(Map.of(P0, 3L, P1, 0L), consumer.endOffsets(List.of(P0, P1)));
    consumer.seekToEnd(List.of(P0));
    assertEquals(3, consumer.position(P0));
    consumer.seekToBeginning(List.of(P0));
    assertEquals(0, consumer.position(P0));
  }

  @Test
  void reportsServerErrorsTyped() {
    for (FakeCluster.FakeNode n : cluster.nodes) {
      n.fetch = (q, o) -> o.onError(FakeCluster.error(Status.Code.OUT_OF_RANGE, ErrorReason.OFFSET_OUT_OF_RANGE, Map.of()));
    }
    consumer = consumer();
    consumer.assign(List.of(P0));
    assertThrows(OffsetOutOfRangeException.class, () -> consumer.poll(POLL));
    assertThrows(UnknownTopicException.class, () -> consumer.partitionsFor("missing"));
  }

  @Test
  void guardsItsState() {
    consumer = consumer();
    assertThrows(IllegalStateException.class, () -> consumer.poll(Duration.ZERO), "nothing assigned");
    consumer.assign(List.of(P0));
    assertThrows(IllegalStateException.class, () -> consumer.position(P1));
    assertThrows(IllegalStateException.class, () -> consumer.seek(P1, 0));
    assertThrows(IllegalArgumentException.class, () -> consumer.seek(P0, -1));
    consumer.close();
    assertThrows(IllegalStateException.class, () -> consumer.poll(Duration.ZERO));
  }
}
