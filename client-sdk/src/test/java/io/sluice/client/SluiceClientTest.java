package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SluiceClientTest {

  @Test
  void builderRejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> SluiceClient.builder().bootstrap("localhost"));
    assertThrows(IllegalArgumentException.class, () -> SluiceClient.builder().bootstrap(""));
    assertThrows(IllegalArgumentException.class, () -> SluiceClient.builder().bootstrap(List.of("a:1", "b:x")));
    assertThrows(IllegalArgumentException.class, () -> SluiceClient.builder().requestTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> SluiceClient.builder().metadataRefreshBackoff(Duration.ofMillis(-1)));
    assertThrows(IllegalStateException.class, () -> SluiceClient.builder().build(), "bootstrap is required");
    assertThrows(IllegalArgumentException.class, () -> ProducerConfig.builder().maxInFlightRequests(0));
    assertThrows(IllegalArgumentException.class, () -> ConsumerConfig.builder().fetchMaxBytes(0));
  }

  @Test
  void defaultsMatchTheContract() {
    ProducerConfig p = ProducerConfig.defaults();
    assertEquals(Duration.ofMillis(5), p.linger());
    assertEquals(64 * 1024, p.batchSizeBytesMax());
    assertEquals(Duration.ofSeconds(30), p.deliveryTimeout());
    assertEquals(Duration.ofMillis(100), p.retryBackoff());
    assertEquals(5, p.maxInFlightRequests());
    assertEquals(32L * 1024 * 1024, p.bufferBytesMax());
    assertEquals(Duration.ofSeconds(60), p.maxBlock());
    assertEquals(PartitionerKind.DEFAULT, p.partitioner());
    ConsumerConfig c = ConsumerConfig.defaults();
    assertEquals(4 * 1024 * 1024, c.fetchMaxBytes());
    assertEquals(1024 * 1024, c.partitionFetchMaxBytes());
    assertEquals(Duration.ofMillis(500), c.fetchMaxWait());
    assertEquals(Duration.ofSeconds(10), SluiceClient.DEFAULT_REQUEST_TIMEOUT);
    assertEquals(Duration.ofMillis(100), SluiceClient.DEFAULT_METADATA_REFRESH_BACKOFF);
  }

  @Test
  void closingTheClientFailsOutstandingSendsAndStopsProducers() throws Exception {
    try (FakeCluster cluster = new FakeCluster(1)) {
      cluster.createTopic("orders", 1);
      cluster.node(1).produce = (q, o) -> { };
      SluiceClient client = cluster.client().build();
      Producer producer = client.newProducer(ProducerConfig.builder().deliveryTimeout(Duration.ofMinutes(5)).build());
      Consumer consumer = client.newConsumer();
      consumer.assign(List.of(new TopicPartition("orders", 0)));
      CompletableFuture<RecordMetadata> f = producer.send(ProducerRecord.of("orders", new byte[] {1}));

      client.close();

      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
      SluiceException se = assertInstanceOf(SluiceException.class, e.getCause());
      assertTrue(se instanceof IndeterminateException || se.writeOutcome() == WriteOutcome.NOT_WRITTEN, se.toString());
      assertThrows(IllegalStateException.class, () -> producer.send(ProducerRecord.of("orders", new byte[] {2})));
      assertThrows(IllegalStateException.class, client::newConsumer);
      SluiceException polled = assertThrows(SluiceException.class, () -> consumer.poll(Duration.ofMinutes(5)),
          "a consumer of a closed client fails at once instead of retrying until its timeout");
      assertEquals(false, polled.retriable());
      assertInstanceOf(SluiceException.class, failure(client.admin().listTopics()));
    }
  }

  private static Throwable failure(CompletableFuture<?> f) {
    return assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS)).getCause();
  }

  @Test
  void producerRecordBuilderAndEquality() {
    ProducerRecord r = ProducerRecord.builder("t").partition(2).key(new byte[] {1}).value(new byte[] {2})
        .timestampMs(5).header("h", null).build();
    assertEquals(new ProducerRecord("t", 2, new byte[] {1}, new byte[] {2}, 5L,
        List.of(new io.sluice.protocol.Header("h", null))), r);
    assertEquals(List.of(), ProducerRecord.of("t", null).headers());
  }
}
