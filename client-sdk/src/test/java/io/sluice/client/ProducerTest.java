package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Producer behaviour against an in-process fake cluster. */
class ProducerTest {
  /** Generous bound for anything that should happen "soon"; tests never assert speed. */
  private static final long WAIT_S = 20;

  private FakeCluster cluster;
  private SluiceClient client;

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

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(WAIT_S, TimeUnit.SECONDS);
  }

  private static SluiceException failure(CompletableFuture<?> f) throws Exception {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
    return assertInstanceOf(SluiceException.class, e.getCause());
  }

  private static int recordsIn(PartitionBatch b) {
    return RecordBatch.recordCount(b.getRecords().asReadOnlyByteBuffer());
  }

  @Test
  void batchesManySendsIntoOneRequestWithOffsetsPerRecord() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ofSeconds(30)).build());
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      futures.add(producer.send(ProducerRecord.builder("orders").partition(i % 3).value(bytes("v" + i)).build()));
    }
    producer.flush();

    List<ProduceRequest> requests = cluster.node(1).produceRequests;
    assertEquals(1, requests.size(), "30 sends to 3 partitions must travel in one request");
    assertEquals(3, requests.get(0).getBatchesCount(), "one batch per partition");
    for (PartitionBatch b : requests.get(0).getBatchesList()) {
      assertEquals(10, recordsIn(b));
    }
    for (int i = 0; i < 30; i++) {
      RecordMetadata md = await(futures.get(i));
      assertEquals(new RecordMetadata("orders", i % 3, i / 3, md.logAppendTimeMs()), md);
      assertEquals("v" + i, cluster.values("orders", i % 3).get((int) md.offset()));
    }
  }

  @Test
  void closesBatchBeforeItExceedsBatchSizeAndKeepsPartitionOrder() throws Exception {
    client = cluster.client().build();
    int batchMax = 300;
    Producer producer = client.newProducer(ProducerConfig.builder().batchSizeBytesMax(batchMax)
        .linger(Duration.ofMillis(1)).build());
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(producer.send(ProducerRecord.builder("orders").partition(1).value(new byte[50]).build()));
    }
    CompletableFuture<RecordMetadata> big = producer.send(ProducerRecord.builder("orders").partition(1)
        .value(new byte[2 * batchMax]).build());
    producer.flush();

    for (int i = 0; i < 20; i++) {
      assertEquals(i, await(futures.get(i)).offset(), "offsets follow send order within a partition");
    }
    assertEquals(20, await(big).offset());
    int batches = 0;
    for (ProduceRequest r : cluster.node(1).produceRequests) {
      for (PartitionBatch b : r.getBatchesList()) {
        batches++;
        if (recordsIn(b) > 1) {
          assertTrue(b.getRecords().size() <= batchMax, "batch of " + b.getRecords().size() + " bytes");
        }
      }
    }
    assertTrue(batches >= 5, "20 records of ~60 bytes cannot fit in fewer than 5 batches of 300 bytes");
  }

  @Test
  void followsNotLeaderHintAtOnceAndKeepsUsingTheNewLeader() throws Exception {
    // DescribeCluster says n1 leads, but n1 answers NOT_LEADER pointing at n2, which accepts.
    cluster.node(1).produce = (q, o) -> o.onError(FakeCluster.error(Status.Code.FAILED_PRECONDITION,
        ErrorReason.NOT_LEADER, java.util.Map.of(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN,
            SluiceErrors.LEADER_ID, "n2", SluiceErrors.LEADER_ADDRESS, cluster.node(2).address)));
    cluster.node(2).produce = (q, o) -> FakeCluster.FakeNode.answer(o, cluster.append(q));
    client = cluster.client(cluster.node(1)).build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofSeconds(30)).build());

    RecordMetadata first = await(producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("a")).build()));
    RecordMetadata second = await(producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("b")).build()));

    assertEquals(0, first.offset());
    assertEquals(1, second.offset());
    assertEquals(1, cluster.node(1).produceRequests.size(), "only the first attempt goes to the old leader");
    assertEquals(2, cluster.node(2).produceRequests.size());
    assertEquals(List.of("a", "b"), cluster.values("orders", 0));
  }

  @Test
  void retriesOnTheNewLeaderWithoutWaitingOutTheBackoff() throws Exception {
    // n1 dies as leader (UNAVAILABLE, no hint); a refresh then finds n2 leading. The batch must go
    // to n2 as soon as it is known, not after the 30 s backoff meant for the failed leader.
    cluster.node(1).produce = (q, o) -> {
      cluster.leaderId = "n2";
      o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.NO_LEADER, SluiceErrors.NOT_WRITTEN));
    };
    cluster.node(2).produce = (q, o) -> cluster.node(2).defaultProduce(q, o);
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofSeconds(30)).build());

    RecordMetadata md = await(producer.send(ProducerRecord.builder("orders").partition(1).value(bytes("x")).build()));

    assertEquals(0, md.offset());
    assertEquals(1, cluster.node(1).produceRequests.size());
    assertEquals(1, cluster.node(2).produceRequests.size());
    assertEquals(List.of("x"), cluster.values("orders", 1), "written exactly once");
  }

  @Test
  void retriesNoLeaderThenSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      if (calls.incrementAndGet() <= 2) {
        o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.NO_LEADER, SluiceErrors.NOT_WRITTEN));
      } else {
        cluster.node(1).defaultProduce(q, o);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().retryBackoff(Duration.ofMillis(5)).build());

    RecordMetadata md = await(producer.send(ProducerRecord.builder("orders").partition(2).value(bytes("x")).build()));

    assertEquals(0, md.offset());
    assertEquals(3, cluster.node(1).produceRequests.size());
    assertEquals(List.of("x"), cluster.values("orders", 2), "written exactly once");
  }

  @Test
  void quotaExceededIsRetriedNoSoonerThanTheRetryInfoSays() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Long> callNanos = new java.util.concurrent.CopyOnWriteArrayList<>();
    cluster.node(1).produce = (q, o) -> {
      callNanos.add(System.nanoTime());
      if (calls.incrementAndGet() == 1) {
        com.google.rpc.ErrorInfo info = com.google.rpc.ErrorInfo.newBuilder().setReason("QUOTA_EXCEEDED")
            .setDomain(SluiceErrors.DOMAIN).putMetadata(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN).build();
        com.google.rpc.RetryInfo retry = com.google.rpc.RetryInfo.newBuilder()
            .setRetryDelay(com.google.protobuf.Duration.newBuilder().setNanos(800_000_000)).build();
        o.onError(io.grpc.protobuf.StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.RESOURCE_EXHAUSTED.value()).setMessage("over quota")
            .addDetails(com.google.protobuf.Any.pack(info)).addDetails(com.google.protobuf.Any.pack(retry)).build()));
      } else {
        cluster.node(1).defaultProduce(q, o);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().retryBackoff(Duration.ofMillis(5)).build());

    RecordMetadata md = await(producer.send(ProducerRecord.builder("orders").partition(1).value(bytes("x")).build()));

    assertEquals(0, md.offset());
    assertEquals(2, callNanos.size());
    long waitedMs = TimeUnit.NANOSECONDS.toMillis(callNanos.get(1) - callNanos.get(0));
    assertTrue(waitedMs >= 790, "the retry came " + waitedMs + " ms after QUOTA_EXCEEDED asked for 800 ms");
    assertEquals(List.of("x"), cluster.values("orders", 1), "written exactly once");
  }

  @Test
  void withoutIdempotenceCommitTimeoutIsIndeterminateAndNotRetried() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      if (calls.incrementAndGet() == 1) {
        o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.COMMIT_TIMEOUT, SluiceErrors.UNKNOWN));
      } else {
        cluster.node(1).defaultProduce(q, o); // a retry would succeed: the test would see it
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().retryBackoff(Duration.ofMillis(1))
        .idempotence(false).build());

    SluiceException e = failure(producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("x")).build()));

    assertInstanceOf(IndeterminateException.class, e);
    assertEquals(WriteOutcome.UNKNOWN, e.writeOutcome());
    assertEquals("COMMIT_TIMEOUT", e.reason());
    assertFalse(e.retriable());
    producer.close(Duration.ofSeconds(WAIT_S));
    assertEquals(1, cluster.node(1).produceRequests.size(), "an indeterminate write must not be retried");
  }

  @Test
  void withoutIdempotenceTransportFailureAfterSendingIsIndeterminate() throws Exception {
    cluster.node(1).produce = (q, o) -> o.onError(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().retryBackoff(Duration.ofMillis(1))
        .idempotence(false).build());

    SluiceException e = failure(producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("x")).build()));

    assertInstanceOf(IndeterminateException.class, e);
    producer.close(Duration.ofSeconds(WAIT_S));
    assertEquals(1, cluster.node(1).produceRequests.size());
  }

  @Test
  void failsWithinDeliveryTimeoutWhenTheLeaderNeverAnswers() throws Exception {
    cluster.node(1).produce = (q, o) -> { }; // silence
    // requestTimeout far beyond the wait below: only the delivery timeout can end the send in time.
    client = cluster.client().requestTimeout(Duration.ofMinutes(5)).build();
    Producer producer = client.newProducer(ProducerConfig.builder().deliveryTimeout(Duration.ofMillis(300)).build());

    SluiceException e = failure(producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("x")).build()));

    assertInstanceOf(IndeterminateException.class, e, "the request was sent and not answered");
  }

  @Test
  void failsWithinDeliveryTimeoutWhenNoLeaderIsKnown() throws Exception {
    cluster.leaderId = null; // a majority is down: every node says it knows no leader
    client = cluster.client().requestTimeout(Duration.ofMinutes(5)).build();
    Producer producer = client.newProducer(ProducerConfig.builder().deliveryTimeout(Duration.ofMillis(300)).build());

    SluiceException e = failure(producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("x")).build()));

    assertInstanceOf(TimeoutException.class, e);
    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome(), "nothing was ever sent");
    assertTrue(cluster.node(1).produceRequests.isEmpty());
  }

  @Test
  void keepsPartitionOrderWhileABatchIsInFlightOrRetried() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      if (calls.incrementAndGet() == 1) {
        // Answer the first request late, so that a producer sending the partition's next batch
        // while this one is in flight would get that batch written first.
        new Thread(() -> {
          sleep(300);
          o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.NODE_NOT_READY, SluiceErrors.NOT_WRITTEN));
        }).start();
      } else {
        cluster.node(1).defaultProduce(q, o);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(50)).maxInFlightRequests(5).build());

    CompletableFuture<RecordMetadata> a = producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("a")).build());
    while (cluster.node(1).produceRequests.isEmpty()) {
      sleep(1);
    }
    CompletableFuture<RecordMetadata> b = producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("b")).build());

    assertTrue(await(a).offset() < await(b).offset());
    assertEquals(List.of("a", "b"), cluster.values("orders", 0));
  }

  @Test
  void neverExceedsMaxInFlightRequests() throws Exception {
    AtomicInteger outstanding = new AtomicInteger();
    AtomicInteger maxSeen = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      maxSeen.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
      new Thread(() -> {
        sleep(30);
        outstanding.decrementAndGet();
        cluster.node(1).defaultProduce(q, o);
      }).start();
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).maxInFlightRequests(1).build());
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      futures.add(producer.send(ProducerRecord.builder("orders").partition(i % 3).value(bytes("v" + i)).build()));
      sleep(5);
    }
    for (CompletableFuture<RecordMetadata> f : futures) {
      await(f);
    }
    assertTrue(cluster.node(1).produceRequests.size() > 1);
    assertEquals(1, maxSeen.get());
  }

  @Test
  void keyedRecordsGoToTheMurmur2Partition() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();
    for (String key : List.of("21", "foobar", "abc", "a-little-bit-long-string")) {
      int expected = (io.sluice.client.internal.Murmur2.hash(bytes(key)) & 0x7fffffff) % 3;
      assertEquals(expected, await(producer.send(ProducerRecord.of("orders", bytes(key), bytes("v")))).partition());
    }
  }

  @Test
  void validatesRecordsEarly() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();

    SluiceException badName = failure(producer.send(ProducerRecord.of("bad name!", bytes("v"))));
    SluiceException badPartition = failure(producer.send(ProducerRecord.builder("orders").partition(3).value(bytes("v")).build()));
    SluiceException negative = failure(producer.send(ProducerRecord.builder("orders").partition(-1).value(bytes("v")).build()));
    SluiceException unknown = failure(producer.send(ProducerRecord.of("nope", bytes("v"))));

    assertInstanceOf(InvalidRequestException.class, badName);
    assertEquals("INVALID_TOPIC_NAME", badName.reason());
    assertInstanceOf(InvalidRequestException.class, badPartition);
    assertEquals("UNKNOWN_PARTITION", badPartition.reason());
    assertInstanceOf(InvalidRequestException.class, negative);
    assertInstanceOf(UnknownTopicException.class, unknown);
    assertEquals(WriteOutcome.NOT_WRITTEN, unknown.writeOutcome());
    assertTrue(cluster.node(1).produceRequests.isEmpty());
  }

  @Test
  void isolatesTheBadBatchOfARejectedSharedRequest() throws Exception {
    cluster.createTopic("doomed", 1);
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ofSeconds(30)).build());
    CompletableFuture<RecordMetadata> good = producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("g")).build());
    CompletableFuture<RecordMetadata> bad = producer.send(ProducerRecord.builder("doomed").partition(0).value(bytes("b")).build());
    synchronized (cluster) {
      cluster.topics.remove("doomed"); // deleted after the producer learned its partition count
    }
    producer.flush();

    assertEquals(0, await(good).offset());
    assertInstanceOf(UnknownTopicException.class, failure(bad));
    assertEquals(List.of("g"), cluster.values("orders", 0));
  }

  @Test
  void failsWithBufferExhaustedWhenTheBufferStaysFull() throws Exception {
    cluster.node(1).produce = (q, o) -> { }; // nothing ever completes, so nothing is freed
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().bufferBytesMax(1000)
        .maxBlock(Duration.ofMillis(50)).deliveryTimeout(Duration.ofMinutes(5)).build());
    SluiceException e = null;
    for (int i = 0; i < 100 && e == null; i++) {
      CompletableFuture<RecordMetadata> f = producer.send(ProducerRecord.builder("orders").partition(0)
          .value(new byte[100]).build());
      if (f.isCompletedExceptionally()) {
        e = failure(f);
      }
    }
    assertInstanceOf(BufferExhaustedException.class, e);
    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome());
  }

  @Test
  void closeFailsWhatIsLeftSayingWhatIsKnown() throws Exception {
    cluster.node(1).produce = (q, o) -> { };
    client = cluster.client().build();
    // One batch per partition in flight, so that "b" stays queued behind "a".
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).maxInFlightBatches(1)
        .deliveryTimeout(Duration.ofMinutes(5)).build());
    CompletableFuture<RecordMetadata> inFlight = producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("a")).build());
    while (cluster.node(1).produceRequests.isEmpty()) {
      sleep(1);
    }
    CompletableFuture<RecordMetadata> queued = producer.send(ProducerRecord.builder("orders").partition(0).value(bytes("b")).build());

    producer.close(Duration.ofMillis(50));

    assertInstanceOf(IndeterminateException.class, failure(inFlight));
    SluiceException q = failure(queued);
    assertInstanceOf(TimeoutException.class, q);
    assertEquals(WriteOutcome.NOT_WRITTEN, q.writeOutcome());
    assertThrows(IllegalStateException.class, () -> producer.send(ProducerRecord.of("orders", bytes("c"))));
  }

  @Test
  void nullKeysStickToOnePartitionPerBatch() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ofSeconds(30)).build());
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      futures.add(producer.send(ProducerRecord.of("orders", bytes("v" + i))));
    }
    producer.flush();
    int partition = await(futures.get(0)).partition();
    for (CompletableFuture<RecordMetadata> f : futures) {
      assertEquals(partition, await(f).partition(), "one open batch: every null-key record joins it");
    }
    assertEquals(1, cluster.node(1).produceRequests.get(0).getBatchesCount());
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static ByteBuffer buf(byte[] b) {
    return ByteBuffer.wrap(b);
  }
}
