package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.Consumer;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.OffsetOutOfRangeException;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicInfo;
import io.sluice.client.TopicPartition;
import io.sluice.internal.v1.PartitionState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Retention removes old batches identically on every replica; offsets are never reused. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RetentionTest {
  @TempDir
  Path tmp;

  private static PartitionState partition(SluiceNode node, String topic, int p) {
    return node.core().topicView(topic).orElseThrow().partitions().get(p);
  }

  /** Waits until every replica has the same log start offset, at least {@code min}, and identical bytes. */
  private static long awaitTruncatedEverywhere(TestCluster c, String topic, long min) {
    TestCluster.await(Duration.ofSeconds(30), topic + " truncated to at least " + min + " on every replica",
        () -> c.nodes.values().stream().allMatch(n -> partition(n, topic, 0).getLogStartOffset() >= min));
    c.assertReplicasIdentical();
    return partition(c.nodes.values().iterator().next(), topic, 0).getLogStartOffset();
  }

  @Test
  void sizeAndTimeRetentionDeleteTheSameBatchesEverywhere() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of("retention.check.interval.ms", "200"));
         SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).build();
         Producer producer = client.newProducer(ProducerConfig.builder().linger(Duration.ZERO).build())) {
      // By size: 100 single-record batches of ~1 KiB; keep at most 20,000 bytes.
      client.admin().createTopic("by-size", 1, Map.of("retention.bytes", "20000")).get(60, TimeUnit.SECONDS);
      for (int i = 0; i < 100; i++) {
        producer.send(ProducerRecord.of("by-size", new byte[1000])).get(60, TimeUnit.SECONDS);
      }
      long start = awaitTruncatedEverywhere(c, "by-size", 1);
      PartitionState state = partition(c.currentLeader(), "by-size", 0);
      assertTrue(state.getSizeBytes() <= 20000 && state.getSizeBytes() > 20000 - 1100, "kept " + state);
      assertEquals(100, state.getNextOffset());
      assertEquals(100 - start, state.getBatchCount());
      long next = producer.send(ProducerRecord.of("by-size", new byte[10])).get(60, TimeUnit.SECONDS).offset();
      assertEquals(100, next, "offsets continue; deleted ones are never reused");

      try (Consumer consumer = client.newConsumer()) {
        TopicPartition tp = new TopicPartition("by-size", 0);
        consumer.assign(List.of(tp));
        consumer.seek(tp, 0);
        assertThrows(OffsetOutOfRangeException.class, () -> consumer.poll(Duration.ofSeconds(5)),
            "reading below the log start offset is OUT_OF_RANGE");
        consumer.seekToBeginning(List.of(tp));
        assertTrue(consumer.position(tp) >= start, "the beginning is the log start offset");
      }

      // By time: ten records stamped an hour ago, ten stamped now; keep one minute.
      client.admin().createTopic("by-time", 1, Map.of("retention.ms", "60000")).get(60, TimeUnit.SECONDS);
      long hourAgo = System.currentTimeMillis() - 3_600_000;
      for (int i = 0; i < 10; i++) {
        producer.send(ProducerRecord.builder("by-time").partition(0).value(new byte[] {1}).timestampMs(hourAgo).build())
            .get(60, TimeUnit.SECONDS);
      }
      for (int i = 0; i < 10; i++) {
        producer.send(ProducerRecord.builder("by-time").partition(0).value(new byte[] {2}).build()).get(60, TimeUnit.SECONDS);
      }
      assertEquals(10, awaitTruncatedEverywhere(c, "by-time", 10), "exactly the old batches went");
      Thread.sleep(1000); // several more passes: nothing recent is deleted
      assertEquals(10, partition(c.currentLeader(), "by-time", 0).getLogStartOffset());
    }
  }

  @Test
  void alteringTheConfigTakesEffectAndBadKeysAreRefused() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of("retention.check.interval.ms", "200"));
         SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).build();
         Producer producer = client.newProducer()) {
      TopicInfo created = client.admin().createTopic("t", 1).get(60, TimeUnit.SECONDS);
      assertEquals("604800000", created.configs().get("retention.ms"), "Kafka's default: 7 days");
      for (int i = 0; i < 5; i++) {
        producer.send(ProducerRecord.of("t", new byte[100])).get(60, TimeUnit.SECONDS);
      }
      TopicInfo altered = client.admin().alterTopicConfig("t", Map.of("retention.bytes", "0"), Set.of())
          .get(60, TimeUnit.SECONDS);
      assertEquals("0", altered.configs().get("retention.bytes"));
      assertEquals(5, awaitTruncatedEverywhere(c, "t", 5), "everything went");

      ExecutionException e = assertThrows(ExecutionException.class, () -> client.admin()
          .alterTopicConfig("t", Map.of("retention.days", "1"), Set.of()).get(60, TimeUnit.SECONDS));
      assertInstanceOf(InvalidRequestException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("retention.days"), e.getCause().getMessage());
      TopicInfo reset = client.admin().alterTopicConfig("t", Map.of(), Set.of("retention.bytes"))
          .get(60, TimeUnit.SECONDS);
      assertEquals("-1", reset.configs().get("retention.bytes"));
    }
  }
}
