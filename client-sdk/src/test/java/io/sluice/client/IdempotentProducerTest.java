package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The idempotent producer against the in-process fake cluster, which applies the real log's
 * idempotence rules: producer ids, sequences, retries of unknown outcomes, new ids.
 */
class IdempotentProducerTest {
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

  private static SluiceException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
    return assertInstanceOf(SluiceException.class, e.getCause());
  }

  private static ProducerRecord to(int partition, String value) {
    return ProducerRecord.builder("orders").partition(partition).value(bytes(value)).build();
  }

  /** The idempotence fields of a sent batch: producer id, epoch, base sequence, record count. */
  private record Stamp(long producerId, short epoch, int baseSequence, int records) {
    static Stamp of(PartitionBatch b) {
      ByteBuffer h = b.getRecords().asReadOnlyByteBuffer();
      return new Stamp(h.getLong(RecordBatch.PRODUCER_ID_OFFSET), h.getShort(RecordBatch.PRODUCER_EPOCH_OFFSET),
          h.getInt(RecordBatch.BASE_SEQUENCE_OFFSET), h.getInt(RecordBatch.RECORD_COUNT_OFFSET));
    }
  }

  private List<PartitionBatch> sentBatches(int partition) {
    List<PartitionBatch> out = new ArrayList<>();
    for (ProduceRequest r : cluster.node(1).produceRequests) {
      for (PartitionBatch b : r.getBatchesList()) {
        if (b.getPartition() == partition) {
          out.add(b);
        }
      }
    }
    return out;
  }

  @Test
  void takesOneProducerIdLazilyAndStampsEveryBatchWithPerPartitionSequences() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).build());
    Thread.sleep(100);
    assertTrue(cluster.node(1).initProducerRequests.isEmpty(), "no producer id before the first send");

    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      for (int i = 0; i <= round; i++) {
        futures.add(producer.send(to(round % 2, "r" + round + "-" + i)));
      }
      producer.flush();
    }
    for (CompletableFuture<RecordMetadata> f : futures) {
      await(f);
    }

    assertEquals(1, cluster.node(1).initProducerRequests.size(), "one producer id for the producer's life");
    for (int p = 0; p < 2; p++) {
      // Batches in flight together may reach the server out of order; the one that arrives early is
      // refused (a gap) and sent again unchanged. So check each distinct batch, in sequence order.
      TreeMap<Integer, Stamp> byBase = new TreeMap<>();
      for (PartitionBatch b : sentBatches(p)) {
        Stamp s = Stamp.of(b);
        assertEquals(1000, s.producerId());
        assertEquals(0, s.epoch());
        Stamp earlier = byBase.putIfAbsent(s.baseSequence(), s);
        assertTrue(earlier == null || earlier.equals(s), "partition " + p + ": a resend keeps its stamp: " + s);
      }
      int expected = 0;
      for (Stamp s : byBase.values()) {
        assertEquals(expected, s.baseSequence(), "partition " + p + ": sequences count records with no gap");
        expected += s.records();
      }
      assertEquals(p == 0 ? 1 + 3 : 2 + 4, expected, "every record of partition " + p + " was numbered");
    }
    assertEquals(List.of("r0-0", "r2-0", "r2-1", "r2-2"), cluster.values("orders", 0));
    assertEquals(List.of("r1-0", "r1-1", "r3-0", "r3-1", "r3-2", "r3-3"), cluster.values("orders", 1));
  }

  /** Ways an answer is lost after the leader wrote the batch. */
  enum LostAnswer { CONNECTION_LOST, COMMIT_TIMEOUT, NO_ANSWER_BEFORE_DEADLINE }

  @ParameterizedTest
  @EnumSource(LostAnswer.class)
  void lostAnswerIsRetriedWithTheSameBytesAndTheFutureGetsTheFirstOffset(LostAnswer how) throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      if (calls.incrementAndGet() != 2) {
        cluster.node(1).defaultProduce(q, o);
        return;
      }
      cluster.append(q); // written; then the answer is lost
      switch (how) {
        case CONNECTION_LOST -> o.onError(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
        case COMMIT_TIMEOUT -> o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.COMMIT_TIMEOUT,
            SluiceErrors.UNKNOWN));
        case NO_ANSWER_BEFORE_DEADLINE -> { } // silence: the client's deadline expires
      }
    };
    client = cluster.client().requestTimeout(Duration.ofMillis(500)).build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(5)).build());

    RecordMetadata a = await(producer.send(to(0, "a")));
    RecordMetadata b = await(producer.send(to(0, "b")));
    RecordMetadata c = await(producer.send(to(0, "c")));

    assertEquals(List.of(0L, 1L, 2L), List.of(a.offset(), b.offset(), c.offset()), "b gets the offset it was written at");
    assertEquals(List.of("a", "b", "c"), cluster.values("orders", 0), "b is stored once");
    List<PartitionBatch> sent = sentBatches(0);
    assertEquals(4, sent.size(), "a, b, b again, c");
    assertArrayEquals(sent.get(1).getRecords().toByteArray(), sent.get(2).getRecords().toByteArray(),
        "the retry re-sends the same bytes");
    assertEquals(List.of(0, 1, 1, 2), sent.stream().map(x -> Stamp.of(x).baseSequence()).toList());
  }

  @Test
  void unknownProducerIdTakesANewIdAndSequencesRestartAtZero() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).build());
    await(producer.send(to(0, "a")));
    await(producer.send(to(0, "b")));
    await(producer.send(to(1, "x")));
    cluster.expireProducers(); // idle expiry on the leader

    RecordMetadata c = await(producer.send(to(0, "c")));
    RecordMetadata d = await(producer.send(to(0, "d")));
    RecordMetadata y = await(producer.send(to(1, "y")));

    assertEquals(2, cluster.node(1).initProducerRequests.size(), "a new producer id after UNKNOWN_PRODUCER_ID");
    List<Stamp> p0 = sentBatches(0).stream().map(Stamp::of).toList();
    assertEquals(List.of(new Stamp(1000, (short) 0, 0, 1), new Stamp(1000, (short) 0, 1, 1),
        new Stamp(1000, (short) 0, 2, 1), // refused: the id was forgotten
        new Stamp(1001, (short) 0, 0, 1), new Stamp(1001, (short) 0, 1, 1)), p0);
    assertEquals(new Stamp(1001, (short) 0, 0, 1), Stamp.of(sentBatches(1).get(sentBatches(1).size() - 1)),
        "every partition restarts at 0 under the new id");
    assertEquals(List.of(2L, 3L, 1L), List.of(c.offset(), d.offset(), y.offset()));
    assertEquals(List.of("a", "b", "c", "d"), cluster.values("orders", 0));
    assertEquals(List.of("x", "y"), cluster.values("orders", 1));
  }

  @Test
  void batchWhoseEarlierAttemptMayHaveLandedIsIndeterminateWhenItsIdIsRefused() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      if (calls.incrementAndGet() == 2) {
        // Lost on the way (the client cannot know), and meanwhile the leader forgets the producer.
        cluster.expireProducers();
        o.onError(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
      } else {
        cluster.node(1).defaultProduce(q, o);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(5)).build());
    await(producer.send(to(0, "a")));

    SluiceException e = failure(producer.send(to(0, "b")));
    RecordMetadata c = await(producer.send(to(0, "c")));

    // Re-sending b under a new id would store it twice had the lost attempt been written.
    assertInstanceOf(IndeterminateException.class, e);
    assertEquals("UNKNOWN_PRODUCER_ID", e.reason());
    assertEquals(1, c.offset());
    assertEquals(new Stamp(1001, (short) 0, 0, 1), Stamp.of(sentBatches(0).get(sentBatches(0).size() - 1)));
    assertEquals(List.of("a", "c"), cluster.values("orders", 0));
  }

  @Test
  void deliveryTimeoutWithOutcomeUnknownIsIndeterminateAndLaterBatchesUseANewId() throws Exception {
    AtomicBoolean silent = new AtomicBoolean(true);
    cluster.node(1).produce = (q, o) -> {
      if (silent.get()) {
        try {
          cluster.append(q); // the first attempt is written, retries are duplicates; no answer ever comes
        } catch (StatusRuntimeException ignored) {
          // as a real leader would answer nobody
        }
      } else {
        cluster.node(1).defaultProduce(q, o);
      }
    };
    client = cluster.client().requestTimeout(Duration.ofMillis(150)).build();
    // Room for about 20 attempts of 150 ms, so that at least 3 happen even on a loaded machine.
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofMillis(5)).deliveryTimeout(Duration.ofSeconds(3)).build());

    SluiceException e = failure(producer.send(to(0, "x")));
    silent.set(false);
    RecordMetadata y = await(producer.send(to(0, "y")));

    assertInstanceOf(IndeterminateException.class, e);
    assertTrue(sentBatches(0).size() >= 3, "x was retried until the delivery timeout: " + sentBatches(0).size());
    assertEquals(List.of("x", "y"), cluster.values("orders", 0), "x written once, by its first attempt");
    assertEquals(1, y.offset());
    assertEquals(new Stamp(1001, (short) 0, 0, 1), Stamp.of(sentBatches(0).get(sentBatches(0).size() - 1)),
        "after an unknown outcome the partition's sequence is unknown: a new id");
  }

  @Test
  void batchCertainlyNotWrittenGivesItsSequencesToTheNextBatch() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).produce = (q, o) -> {
      if (calls.incrementAndGet() == 1) {
        o.onError(FakeCluster.error(Status.Code.INVALID_ARGUMENT, ErrorReason.RECORD_TOO_LARGE, SluiceErrors.NOT_WRITTEN));
      } else {
        cluster.node(1).defaultProduce(q, o);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).build());

    SluiceException e = failure(producer.send(to(0, "too-large")));
    RecordMetadata next = await(producer.send(to(0, "next")));

    assertInstanceOf(InvalidRequestException.class, e);
    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome());
    assertEquals(0, next.offset());
    assertEquals(List.of(new Stamp(1000, (short) 0, 0, 1), new Stamp(1000, (short) 0, 0, 1)),
        sentBatches(0).stream().map(Stamp::of).toList(), "same id, sequence 0 reused: nothing was written");
    assertEquals(1, cluster.node(1).initProducerRequests.size());
  }

  @Test
  void closeFailsABatchAwaitingItsRetryAsIndeterminate() throws Exception {
    cluster.node(1).produce = (q, o) -> o.onError(Status.UNAVAILABLE.withDescription("reset").asRuntimeException());
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO)
        .retryBackoff(Duration.ofSeconds(30)).deliveryTimeout(Duration.ofMinutes(5)).build());
    CompletableFuture<RecordMetadata> f = producer.send(to(0, "a"));
    while (cluster.node(1).produceRequests.isEmpty()) {
      Thread.sleep(1);
    }
    Thread.sleep(50); // the answer arrives; the batch waits 30 s to be retried

    producer.close(Duration.ofMillis(50));

    assertInstanceOf(IndeterminateException.class, failure(f), "its first attempt may have been written");
  }

  @Test
  void withoutIdempotenceBatchesCarryNoProducerIdAndNoneIsTaken() throws Exception {
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().idempotence(false).build());

    await(producer.send(to(0, "a")));
    await(producer.send(to(0, "b")));

    assertTrue(cluster.node(1).initProducerRequests.isEmpty());
    for (PartitionBatch b : sentBatches(0)) {
      assertEquals(new Stamp(-1, (short) -1, -1, 1), Stamp.of(b));
    }
  }

  @Test
  void failsFastWhenTheClusterCannotIssueProducerIds() throws Exception {
    cluster.node(1).initProducer = (q, o) -> o.onError(Status.UNIMPLEMENTED.asRuntimeException());
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().deliveryTimeout(Duration.ofMinutes(5)).build());

    SluiceException e = failure(producer.send(to(0, "a")));

    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome());
    assertTrue(e.getMessage().contains("idempotence(false)"), e.getMessage());
    assertTrue(cluster.node(1).produceRequests.isEmpty());
  }

  /**
   * Seeded faults on every produce call: the answer lost after the write, the request delivered
   * twice, or a copy delivered again later (after the partition's next batches). Every record
   * must still be stored once, in send order within its partition, at the offset its future got.
   */
  @Test
  void duplicatedLostAndLateDeliveriesStillStoreEveryRecordOnceInSendOrder() throws Exception {
    long seed = Long.getLong("sluice.test.seed", System.nanoTime());
    System.out.println("IdempotentProducerTest seed=" + seed + " (reproduce with -Dsluice.test.seed=" + seed + ")");
    Random random = new Random(seed);
    AtomicInteger lost = new AtomicInteger();
    AtomicInteger doubled = new AtomicInteger();
    AtomicInteger late = new AtomicInteger();
    AtomicInteger lateOutstanding = new AtomicInteger();
    List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
    cluster.node(1).produce = (q, o) -> {
      int roll;
      synchronized (random) {
        roll = random.nextInt(100);
      }
      try {
        if (roll < 10) {
          cluster.append(q);
          lost.incrementAndGet();
          o.onError(Status.UNAVAILABLE.withDescription("injected: answer lost").asRuntimeException());
          return;
        }
        if (roll < 20) {
          cluster.append(q);
          doubled.incrementAndGet();
          FakeCluster.FakeNode.answer(o, cluster.append(q)); // the second delivery's answer: duplicates
          return;
        }
        AtomicBoolean originalRefused = new AtomicBoolean();
        if (roll < 30) {
          late.incrementAndGet();
          lateOutstanding.incrementAndGet();
          long delayMs = 20 + roll * 3L;
          new Thread(() -> {
            ProducerTest.sleep(delayMs);
            try {
              ProduceResponse again = cluster.append(q);
              // A copy may store the batches only if the original delivery was refused (with
              // several batches in flight, because an earlier batch had not landed yet): then
              // it lands like a retry, and the producer's own retry is answered duplicate.
              if (!originalRefused.get() && !again.getResultsList().stream().allMatch(r -> r.getDuplicate())) {
                unexpected.add("a late copy was appended: " + again);
              }
            } catch (StatusRuntimeException refused) {
              // too old to be remembered: refused as out of order, nothing written
              if (refused.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) {
                unexpected.add("a late copy failed with " + refused.getStatus());
              }
            } finally {
              lateOutstanding.decrementAndGet();
            }
          }).start();
        }
        ProduceResponse r;
        try {
          r = cluster.append(q);
        } catch (StatusRuntimeException refused) {
          originalRefused.set(true);
          throw refused;
        }
        FakeCluster.FakeNode.answer(o, r);
      } catch (StatusRuntimeException e) {
        o.onError(e);
      }
    };
    client = cluster.client().build();
    Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ofMillis(1))
        .retryBackoff(Duration.ofMillis(1)).batchSizeBytesMax(120).build());
    int total = 2000;
    List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      futures.add(producer.send(ProducerRecord.of("orders", bytes("k" + (i % 20)), bytes("v" + i))));
      if (i % 100 == 0) {
        Thread.sleep(5);
      }
    }
    producer.flush();
    while (lateOutstanding.get() > 0) {
      Thread.sleep(10);
    }

    Map<Integer, List<String>> expected = new HashMap<>();
    for (int i = 0; i < total; i++) {
      RecordMetadata m = await(futures.get(i));
      List<String> values = expected.computeIfAbsent(m.partition(), p -> new ArrayList<>());
      assertEquals(values.size(), m.offset(), "v" + i + ": offsets follow send order within partition " + m.partition());
      values.add("v" + i);
    }
    for (int p = 0; p < 3; p++) {
      assertEquals(expected.getOrDefault(p, List.of()), cluster.values("orders", p), "partition " + p + ", seed " + seed);
    }
    System.out.printf("faults: %d answers lost, %d doubled, %d late copies%n", lost.get(), doubled.get(), late.get());
    assertTrue(lost.get() > 0 && doubled.get() > 0 && late.get() > 0, "every fault was exercised");
    assertEquals(List.of(), unexpected);
  }
}
