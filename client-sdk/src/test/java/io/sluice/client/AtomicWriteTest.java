package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Producer#sendAtomically} against the in-process fake cluster (which applies a request
 * all or nothing, with the real log's idempotence rules): what goes in the request, ordering
 * against ordinary sends, retries as a unit, fencing, limits.
 */
class AtomicWriteTest {
  private static final long WAIT_S = 20;

  private FakeCluster cluster;
  private SluiceClient client;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new FakeCluster(2);
    cluster.createTopic("orders", 3);
    cluster.createTopic("audit", 2);
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

  private static ProducerRecord rec(String topic, int partition, String value) {
    return ProducerRecord.builder(topic).partition(partition).value(bytes(value)).build();
  }

  private static SluiceException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
    return assertInstanceOf(SluiceException.class, e.getCause());
  }

  private static List<String> values(PartitionBatch b) {
    return RecordBatch.read(b.getRecords().asReadOnlyByteBuffer()).stream()
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  private List<ProduceRequest> requestsWith(String value) {
    List<ProduceRequest> out = new ArrayList<>();
    for (ProduceRequest r : cluster.node(1).produceRequests) {
      if (r.getBatchesList().stream().anyMatch(b -> values(b).contains(value))) {
        out.add(r);
      }
    }
    return out;
  }

  @Test
  void oneRequestWithOneBatchPerPartitionAndMetadataInCallOrder() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();
    List<ProducerRecord> records = List.of(rec("orders", 0, "a1"), rec("audit", 1, "x1"), rec("orders", 2, "c1"),
        rec("orders", 0, "a2"), rec("audit", 1, "x2"));

    List<RecordMetadata> meta = producer.sendAtomically(records).get(WAIT_S, TimeUnit.SECONDS);

    assertEquals(5, meta.size());
    assertEquals(new RecordMetadata("orders", 0, 0, meta.get(0).logAppendTimeMs()), meta.get(0));
    assertEquals(List.of("audit", 1, 0L), List.of(meta.get(1).topic(), meta.get(1).partition(), meta.get(1).offset()));
    assertEquals(List.of("orders", 2, 0L), List.of(meta.get(2).topic(), meta.get(2).partition(), meta.get(2).offset()));
    assertEquals(List.of("orders", 0, 1L), List.of(meta.get(3).topic(), meta.get(3).partition(), meta.get(3).offset()));
    assertEquals(List.of("audit", 1, 1L), List.of(meta.get(4).topic(), meta.get(4).partition(), meta.get(4).offset()));
    List<ProduceRequest> sent = requestsWith("a1");
    assertEquals(1, sent.size(), "all of it in one request");
    ProduceRequest req = sent.get(0);
    assertEquals(3, req.getBatchesCount(), "one batch per partition");
    Map<String, List<String>> byPartition = new LinkedHashMap<>();
    for (PartitionBatch b : req.getBatchesList()) {
      byPartition.put(b.getTopic() + "-" + b.getPartition(), values(b));
      assertTrue(b.getRecords().asReadOnlyByteBuffer().getLong(RecordBatch.PRODUCER_ID_OFFSET) >= 0,
          "stamped by the idempotent producer");
    }
    assertEquals(Map.of("orders-0", List.of("a1", "a2"), "audit-1", List.of("x1", "x2"), "orders-2", List.of("c1")),
        byPartition);
    assertFalse(req.hasGroupCommit(), "no group, no offsets");
    assertEquals(List.of("a1", "a2"), cluster.values("orders", 0));
  }

  @Test
  void goesAfterEarlierSendsOfItsPartitionsAndBeforeLaterOnesInARequestOfItsOwn() throws Exception {
    client = cluster.client().build();
    // A long linger: without the atomic write closing the open batches, "e1" would still wait.
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ofSeconds(5)).build());
    CompletableFuture<RecordMetadata> early = producer.send(rec("orders", 0, "e1"));
    CompletableFuture<RecordMetadata> other = producer.send(rec("orders", 1, "o1"));
    CompletableFuture<List<RecordMetadata>> atomic =
        producer.sendAtomically(List.of(rec("orders", 0, "t1"), rec("orders", 2, "t2")));
    CompletableFuture<RecordMetadata> late = producer.send(rec("orders", 0, "l1"));
    producer.flush();

    assertEquals(0, early.get(WAIT_S, TimeUnit.SECONDS).offset());
    assertEquals(1, atomic.get(WAIT_S, TimeUnit.SECONDS).get(0).offset());
    assertEquals(2, late.get(WAIT_S, TimeUnit.SECONDS).offset());
    other.get(WAIT_S, TimeUnit.SECONDS);
    assertEquals(List.of("e1", "t1", "l1"), cluster.values("orders", 0));
    ProduceRequest req = requestsWith("t1").get(0);
    assertEquals(2, req.getBatchesCount(), "no other batch shares the atomic write's request: " + req);
  }

  @Test
  void carriesTheGroupsOffsets() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();
    Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    offsets.put(new TopicPartition("in", 0), 42L);
    offsets.put(new TopicPartition("in", 3), 7L);

    producer.sendAtomically(List.of(rec("orders", 1, "out")), offsets, new ConsumerGroupMetadata("g1", "m-1", 9))
        .get(WAIT_S, TimeUnit.SECONDS);

    GroupOffsetCommit commit = requestsWith("out").get(0).getGroupCommit();
    assertEquals("g1", commit.getGroupId());
    assertEquals("m-1", commit.getMemberId());
    assertEquals(9, commit.getGeneration());
    assertEquals(List.of(
        CommittedOffset.newBuilder().setTopic("in").setPartition(0).setOffset(42).build(),
        CommittedOffset.newBuilder().setTopic("in").setPartition(3).setOffset(7).build()), commit.getOffsetsList());
  }

  @Test
  void fencedByTheGroupFailsWithCommitFailedAndWritesNothing() throws Exception {
    cluster.node(1).produce = (q, o) -> {
      if (q.hasGroupCommit()) {
        o.onError(FakeCluster.error(Status.Code.FAILED_PRECONDITION, ErrorReason.ILLEGAL_GENERATION,
            SluiceErrors.NOT_WRITTEN));
        return;
      }
      cluster.node(1).defaultProduce(q, o);
    };
    client = cluster.client().build();
    Producer producer = client.newProducer();

    CompletableFuture<List<RecordMetadata>> fenced = producer.sendAtomically(
        List.of(rec("orders", 0, "f1"), rec("orders", 1, "f2")), Map.of(new TopicPartition("in", 0), 5L),
        new ConsumerGroupMetadata("g1", "m-1", 3));

    SluiceException e = failure(fenced);
    CommitFailedException cf = assertInstanceOf(CommitFailedException.class, e);
    assertEquals("ILLEGAL_GENERATION", cf.reason());
    assertEquals(WriteOutcome.NOT_WRITTEN, cf.writeOutcome());
    assertFalse(cf.retriable());
    assertEquals(1, requestsWith("f1").size(), "a fenced write is not retried");
    // The producer goes on: the refused sequences are reused, the next writes land.
    assertEquals(0, producer.send(rec("orders", 0, "n1")).get(WAIT_S, TimeUnit.SECONDS).offset());
    producer.sendAtomically(List.of(rec("orders", 1, "n2"))).get(WAIT_S, TimeUnit.SECONDS);
    assertEquals(List.of("n1"), cluster.values("orders", 0));
    assertEquals(List.of("n2"), cluster.values("orders", 1));
  }

  @Test
  void aLostAnswerIsRetriedAsAUnitAndStoredOnce() throws Exception {
    AtomicBoolean lose = new AtomicBoolean(true);
    cluster.node(1).produce = (q, o) -> {
      try {
        cluster.append(q);
        if (lose.getAndSet(false)) {
          o.onError(Status.UNAVAILABLE.withDescription("injected: answer lost after the write").asRuntimeException());
          return;
        }
        // Answer with a second delivery: the copies are recognised as duplicates.
        FakeCluster.FakeNode.answer(o, cluster.append(q));
      } catch (StatusRuntimeException e) {
        o.onError(e);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().retryBackoff(Duration.ofMillis(5)).build());

    List<RecordMetadata> meta = producer.sendAtomically(List.of(rec("orders", 0, "u1"), rec("orders", 1, "u2"),
        rec("orders", 2, "u3"))).get(WAIT_S, TimeUnit.SECONDS);

    assertEquals(List.of(0L, 0L, 0L), meta.stream().map(RecordMetadata::offset).toList());
    List<ProduceRequest> attempts = requestsWith("u1");
    assertEquals(2, attempts.size());
    assertEquals(attempts.get(0), attempts.get(1), "the retry re-sends the same request, batch bytes included");
    for (int p = 0; p < 3; p++) {
      assertEquals(List.of("u" + (p + 1)), cluster.values("orders", p), "stored once");
    }
  }

  @Test
  void withoutIdempotenceALostAnswerIsIndeterminateForTheWholeWrite() throws Exception {
    cluster.node(1).produce = (q, o) -> {
      cluster.append(q);
      o.onError(Status.UNAVAILABLE.withDescription("injected: answer lost").asRuntimeException());
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().idempotence(false).build());
    SluiceException e = failure(producer.sendAtomically(List.of(rec("orders", 0, "i1"), rec("orders", 1, "i2"))));
    assertInstanceOf(IndeterminateException.class, e);
    assertEquals(1, requestsWith("i1").size(), "not retried");
  }

  @Test
  void aBadRecordFailsTheWholeWriteAndNothingIsSent() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();
    SluiceException bad = failure(producer.sendAtomically(List.of(rec("orders", 0, "b1"), rec("orders", 7, "b2"))));
    assertInstanceOf(InvalidRequestException.class, bad);
    assertEquals("UNKNOWN_PARTITION", bad.reason());
    assertTrue(bad.getMessage().contains("record 1"), bad.getMessage());
    SluiceException badName = failure(producer.sendAtomically(List.of(rec("no such/topic", 0, "b3"))));
    assertEquals("INVALID_TOPIC_NAME", badName.reason());
    producer.flush();
    assertTrue(requestsWith("b1").isEmpty());
    assertEquals(List.of(), cluster.values("orders", 0));
  }

  @Test
  void overTheRequestLimitFailsAtOnceSayingSo() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();
    List<ProducerRecord> big = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      big.add(ProducerRecord.builder("orders").partition(i % 3).value(new byte[900 * 1024]).build());
    }
    SluiceException e = failure(producer.sendAtomically(big));
    assertInstanceOf(InvalidRequestException.class, e);
    assertEquals("RECORD_TOO_LARGE", e.reason());
    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome());
    assertTrue(e.getMessage().contains("one request"), e.getMessage());
    // The buffer space it reserved was given back: a write of the same size fits again and again.
    for (int i = 0; i < 20; i++) {
      assertEquals("RECORD_TOO_LARGE", failure(producer.sendAtomically(big)).reason());
    }
    producer.sendAtomically(List.of(rec("orders", 0, "fits"))).get(WAIT_S, TimeUnit.SECONDS);
  }

  @Test
  void argumentsAreChecked() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer();
    assertThrows(IllegalArgumentException.class, () -> producer.sendAtomically(List.of()));
    assertThrows(NullPointerException.class, () -> producer.sendAtomically(null));
    SluiceException noGroup = failure(producer.sendAtomically(List.of(rec("orders", 0, "x")),
        Map.of(new TopicPartition("in", 0), 1L), null));
    assertInstanceOf(InvalidRequestException.class, noGroup);
    SluiceException negative = failure(producer.sendAtomically(List.of(rec("orders", 0, "x")),
        Map.of(new TopicPartition("in", 0), -1L), new ConsumerGroupMetadata("g", "m", 1)));
    assertEquals("INVALID_OFFSET", negative.reason());
    producer.close();
    assertThrows(IllegalStateException.class, () -> producer.sendAtomically(List.of(rec("orders", 0, "x"))));
  }

  /** Reads the idempotence stamp of a batch: base sequence. */
  static int baseSequence(PartitionBatch b) {
    ByteBuffer h = b.getRecords().asReadOnlyByteBuffer();
    return h.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
  }

  @Test
  void sequencesAreConsistentWithOrdinarySends() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).build());
    producer.send(rec("orders", 0, "s1")).get(WAIT_S, TimeUnit.SECONDS);
    producer.send(rec("orders", 0, "s2")).get(WAIT_S, TimeUnit.SECONDS);
    producer.sendAtomically(List.of(rec("orders", 0, "s3"), rec("orders", 0, "s4"), rec("orders", 1, "s5")))
        .get(WAIT_S, TimeUnit.SECONDS);
    producer.send(rec("orders", 0, "s6")).get(WAIT_S, TimeUnit.SECONDS);
    List<Integer> sequences = new ArrayList<>();
    for (ProduceRequest r : cluster.node(1).produceRequests) {
      for (PartitionBatch b : r.getBatchesList()) {
        if (b.getPartition() == 0) {
          sequences.add(baseSequence(b));
        }
      }
    }
    assertEquals(List.of(0, 1, 2, 4), sequences);
    assertEquals(List.of("s1", "s2", "s3", "s4", "s6"), cluster.values("orders", 0));
  }
}
