package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ProducerConfig#maxInFlightBatches()}: several batches of one partition in flight, and
 * per-partition order kept when they reach the leader out of order.
 */
class InFlightBatchesTest {
  private static final long WAIT_S = 20;

  private FakeCluster cluster;
  private SluiceClient client;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new FakeCluster(1);
    cluster.createTopic("orders", 2);
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static ProducerRecord to(int partition, String value) {
    return ProducerRecord.builder("orders").partition(partition).value(value.getBytes(StandardCharsets.UTF_8)).build();
  }

  /** A produce request held by the fake node until the test answers it. */
  private record Held(ProduceRequest request, StreamObserver<ProduceResponse> out) {
    void answer(FakeCluster cluster) {
      try {
        FakeCluster.FakeNode.answer(out, cluster.append(request));
      } catch (StatusRuntimeException e) {
        out.onError(e);
      }
    }
  }

  private List<Held> holdEveryRequest() {
    List<Held> held = new CopyOnWriteArrayList<>();
    cluster.node(1).produce = (q, o) -> held.add(new Held(q, o));
    return held;
  }

  /** Sends {@code n} records to partition 0, each in a batch of its own (batchSizeBytesMax 1). */
  private List<CompletableFuture<RecordMetadata>> sendSeparately(Producer producer, int n) {
    List<CompletableFuture<RecordMetadata>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(producer.send(to(0, "v" + i)));
    }
    return out;
  }

  private static void settle() throws InterruptedException {
    Thread.sleep(300); // long enough for the sender to send whatever it may send
  }

  private int inFlightLimitSeen(ProducerConfig config) throws Exception {
    List<Held> held = holdEveryRequest();
    client = cluster.client().build();
    Producer producer = client.newProducer(config);
    List<CompletableFuture<RecordMetadata>> sends = sendSeparately(producer, 8);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (held.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    settle();
    int limit = held.size();
    // From now on requests go straight through; the held ones are answered in sequence order
    // (they may have reached the fake server in any order).
    cluster.node(1).produce = cluster.node(1)::defaultProduce;
    List<Held> inOrder = new ArrayList<>(held);
    inOrder.sort(java.util.Comparator.comparingInt(h -> AtomicWriteTest.baseSequence(h.request().getBatches(0))));
    inOrder.forEach(h -> h.answer(cluster));
    for (int i = 0; i < 8; i++) {
      assertEquals(i, sends.get(i).get(WAIT_S, TimeUnit.SECONDS).offset());
    }
    return limit;
  }

  @Test
  void upToFiveBatchesOfAPartitionAreInFlightByDefault() throws Exception {
    assertEquals(5, ProducerConfig.DEFAULT_MAX_IN_FLIGHT_BATCHES);
    assertEquals(5, inFlightLimitSeen(ProducerConfig.builder().linger(Duration.ZERO).batchSizeBytesMax(1).build()));
  }

  @Test
  void theLimitIsConfigurable() throws Exception {
    assertEquals(2, inFlightLimitSeen(ProducerConfig.builder().linger(Duration.ZERO).batchSizeBytesMax(1)
        .maxInFlightBatches(2).build()));
  }

  @Test
  void withoutIdempotenceOneBatchPerPartitionIsInFlight() throws Exception {
    assertEquals(1, inFlightLimitSeen(ProducerConfig.builder().linger(Duration.ZERO).batchSizeBytesMax(1)
        .idempotence(false).build()));
  }

  @Test
  void moreThanFiveIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ProducerConfig.builder().maxInFlightBatches(6));
    assertThrows(IllegalArgumentException.class, () -> ProducerConfig.builder().maxInFlightBatches(0));
  }

  /**
   * The first batch reaches the leader last: the four after it are refused OUT_OF_ORDER_SEQUENCE
   * (nothing written), and the producer re-sends them after it, under the same producer id.
   */
  @Test
  void batchesOvertakingAnEarlierOneAreRefusedAndResentAfterIt() throws Exception {
    List<Held> held = holdEveryRequest();
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).batchSizeBytesMax(1)
        .retryBackoff(Duration.ofMillis(5)).build());
    List<CompletableFuture<RecordMetadata>> sends = sendSeparately(producer, 5);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
    while (held.size() < 5 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(5, held.size());
    List<Held> firstRound = new ArrayList<>(held);
    firstRound.sort(java.util.Comparator.comparingInt(h -> AtomicWriteTest.baseSequence(h.request().getBatches(0))));
    cluster.node(1).produce = cluster.node(1)::defaultProduce; // retries go straight through
    for (int i = 4; i >= 1; i--) {
      firstRound.get(i).answer(cluster); // refused: sequence 0 is missing
    }
    settle();
    assertEquals(List.of(), cluster.values("orders", 0), "nothing stored before the first batch");
    firstRound.get(0).answer(cluster);
    for (int i = 0; i < 5; i++) {
      assertEquals(i, sends.get(i).get(WAIT_S, TimeUnit.SECONDS).offset());
    }
    assertEquals(List.of("v0", "v1", "v2", "v3", "v4"), cluster.values("orders", 0));
    assertEquals(1, cluster.node(1).initProducerRequests.size(), "the refusals were not taken for a lost producer id");
    int resent = 0;
    for (ProduceRequest r : cluster.node(1).produceRequests) {
      for (PartitionBatch b : r.getBatchesList()) {
        resent++;
      }
    }
    assertTrue(resent >= 9, "the four refused batches were sent again: " + resent + " batches sent");
  }
}
