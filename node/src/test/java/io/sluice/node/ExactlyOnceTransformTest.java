package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.OffsetResetPolicy;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consume-transform-produce with the group's offsets committed in the same Raft entry as the
 * output ({@code Producer.sendAtomically(records, offsets, consumer.groupMetadata())}): two
 * transformers of one group copy topic "a" to "b", one crashes midway (its partitions move after
 * its session timeout), and "b" ends up with every input exactly once.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ExactlyOnceTransformTest {
  private static final int INPUTS = 400;

  @TempDir
  Path tmp;

  static final class Transformer implements AutoCloseable {
    final SluiceClient client;
    final Consumer consumer;
    final Producer producer;
    final Thread thread;
    final AtomicInteger written = new AtomicInteger();
    final AtomicInteger fenced = new AtomicInteger();
    volatile boolean running = true;
    volatile Throwable failure;

    Transformer(String name, TestCluster c) {
      client = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build();
      consumer = client.newConsumer(ConsumerConfig.builder().groupId("xf").clientId(name).enableAutoCommit(false)
          .sessionTimeout(Duration.ofSeconds(3)).heartbeatInterval(Duration.ofMillis(300))
          .offsetResetPolicy(OffsetResetPolicy.EARLIEST).build());
      producer = client.newProducer();
      thread = new Thread(this::run, "transformer-" + name);
      thread.start();
    }

    private void run() {
      try {
        consumer.subscribe(List.of("a"));
        while (running) {
          List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(200));
          if (!records.isEmpty() && running) {
            transform(records);
          }
        }
      } catch (Throwable t) {
        failure = t;
      }
    }

    private void transform(List<ConsumerRecord> records) {
      List<ProducerRecord> out = new ArrayList<>();
      Map<TopicPartition, Long> next = new HashMap<>();
      for (ConsumerRecord r : records) {
        out.add(ProducerRecord.of("b", ("out-" + new String(r.value(), StandardCharsets.UTF_8))
            .getBytes(StandardCharsets.UTF_8)));
        next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
      }
      try {
        // The output and the input offsets in one Raft entry, fenced by the member's generation.
        producer.sendAtomically(out, next, consumer.groupMetadata()).join();
        written.addAndGet(records.size());
      } catch (java.util.concurrent.CompletionException e) {
        if (!(e.getCause() instanceof CommitFailedException)) {
          throw e;
        }
        // Fenced: neither output nor offsets were written. The group moved on; the next poll
        // rejoins and resumes at the committed offsets, so these inputs are processed again.
        fenced.incrementAndGet();
      }
    }

    void crash() throws InterruptedException {
      running = false;
      thread.join(TimeUnit.SECONDS.toMillis(30));
      client.close(); // no leave, no more heartbeats
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(TimeUnit.SECONDS.toMillis(30));
      consumer.close();
      producer.close();
      client.close();
    }
  }

  @Test
  void eachInputIsInTheOutputExactlyOnceThoughATransformerCrashes() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
        SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(5)).build()) {
      client.admin().createTopic("a", 4).join();
      client.admin().createTopic("b", 1).join();
      try (Producer producer = client.newProducer()) {
        Transformer t1 = new Transformer("t1", c);
        Transformer t2 = new Transformer("t2", c);
        TestCluster.await(Duration.ofSeconds(60), "both transformers in the group", () -> {
          try {
            var d = client.admin().describeGroup("xf").join();
            return d.state().equals("STABLE") && d.members().size() == 2;
          } catch (java.util.concurrent.CompletionException e) {
            return false; // not created yet
          }
        });
        for (int i = 0; i < INPUTS / 2; i++) {
          producer.send(ProducerRecord.of("a", ("k" + i).getBytes(StandardCharsets.UTF_8),
              ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
        TestCluster.await(Duration.ofSeconds(60), "both transformers at work",
            () -> t1.written.get() > 0 && t2.written.get() > 0);
        t1.crash(); // its partitions move to t2 after t1's session timeout, at the last committed offsets
        for (int i = INPUTS / 2; i < INPUTS; i++) {
          producer.send(ProducerRecord.of("a", ("k" + i).getBytes(StandardCharsets.UTF_8),
              ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
        TestCluster.await(Duration.ofSeconds(90), "the group to reach the end of a", () -> {
          if (t2.failure != null) {
            throw new AssertionError("transformer failed", t2.failure);
          }
          var d = client.admin().describeGroup("xf").join();
          return d.offsets().size() == 4 && d.offsets().stream().allMatch(o -> o.lag() == 0)
              && d.members().size() == 1;
        });
        t2.close();
        if (t1.failure != null) {
          throw new AssertionError("transformer t1 failed", t1.failure);
        }
      }
      Map<String, Integer> seen = new TreeMap<>();
      try (Consumer reader = client.newConsumer()) {
        TopicPartition b = new TopicPartition("b", 0);
        reader.assign(List.of(b));
        long end = reader.endOffsets(List.of(b)).get(b);
        List<ConsumerRecord> all = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (reader.position(b) < end && System.nanoTime() < deadline) {
          all.addAll(reader.poll(Duration.ofMillis(500)));
        }
        all.forEach(r -> seen.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum));
      }
      List<String> wrong = new ArrayList<>();
      for (int i = 0; i < INPUTS; i++) {
        int n = seen.getOrDefault("out-v" + i, 0);
        if (n != 1) {
          wrong.add("out-v" + i + " x" + n);
        }
      }
      assertEquals(List.of(), wrong, "every input exactly once in b (" + seen.size() + " distinct outputs)");
      assertEquals(INPUTS, seen.values().stream().mapToInt(Integer::intValue).sum());
    }
  }
}
