package io.sluice.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.protocol.RecordBatch;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Per-topic series: counted from batch headers, capped in number, dropped with their topic. */
class TopicMetersTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static byte[] batch(int records) {
    RecordBatch.Builder b = RecordBatch.builder();
    for (int i = 0; i < records; i++) {
      b.add(1_000L, null, new byte[] {(byte) i}, List.of());
    }
    return b.build();
  }

  private static ProduceRequest produce(String topic, byte[]... batches) {
    ProduceRequest.Builder r = ProduceRequest.newBuilder();
    for (byte[] b : batches) {
      r.addBatches(PartitionBatch.newBuilder().setTopic(topic).setRecords(ByteString.copyFrom(b)));
    }
    return r.build();
  }

  private double count(String name, String topic) {
    var c = registry.find(name).tag("topic", topic).counter();
    return c == null ? Double.NaN : c.count();
  }

  @Test
  void countsRecordsAndBytesFromBatchHeaders() {
    TopicMeters meters = new TopicMeters(registry, 10);
    byte[] three = batch(3);
    byte[] five = batch(5);
    meters.produced(produce("a", three, five));
    meters.fetched(FetchResponse.newBuilder().addPartitions(PartitionData.newBuilder().setTopic("a")
        .addBatches(ByteString.copyFrom(three))).build());

    assertEquals(8, count("sluice.produce.records", "a"));
    assertEquals(three.length + five.length, count("sluice.produce.bytes", "a"));
    assertEquals(3, count("sluice.fetch.records", "a"));
    assertEquals(three.length, count("sluice.fetch.bytes", "a"));
    assertEquals(2, registry.find("sluice.batch.size").summary().count());
    assertEquals(8, registry.find("sluice.batch.records").summary().totalAmount());
  }

  @Test
  void topicsPastTheCapShareOneSeries() {
    TopicMeters meters = new TopicMeters(registry, 2);
    for (String t : List.of("a", "b", "c", "d")) {
      meters.produced(produce(t, batch(1)));
    }
    assertEquals(2, meters.namedTopics());
    assertEquals(1, count("sluice.produce.records", "a"));
    assertEquals(1, count("sluice.produce.records", "b"));
    assertEquals(2, count("sluice.produce.records", TopicMeters.OTHER));
    assertNull(registry.find("sluice.produce.records").tag("topic", "c").counter());
  }

  @Test
  void deletedTopicsLoseTheirSeriesAndFreeTheirPlace() {
    TopicMeters meters = new TopicMeters(registry, 2);
    meters.produced(produce("a", batch(1)));
    meters.produced(produce("b", batch(1)));
    meters.prune(Set.of("b")::contains);
    assertNull(registry.find("sluice.produce.records").tag("topic", "a").counter());
    meters.produced(produce("c", batch(1)));
    assertEquals(1, count("sluice.produce.records", "c"), "a's place went to c");
  }
}
