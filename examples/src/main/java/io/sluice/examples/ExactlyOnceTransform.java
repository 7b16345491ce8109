package io.sluice.examples;

import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.IndeterminateException;
import io.sluice.client.OffsetResetPolicy;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Consume-transform-produce, exactly once: reads an input topic as a member of a consumer group,
 * upper-cases each value, and writes the results to an output topic together with the group's
 * input offsets, in one atomic write
 * ({@link Producer#sendAtomically(List, Map, io.sluice.client.ConsumerGroupMetadata)}). The
 * output records and the offsets become visible together or not at all, and the write is fenced
 * by the member's generation: after a rebalance a member can no longer write for partitions it
 * lost. So however often it crashes, restarts or rebalances, each input record's output is
 * stored exactly once.
 *
 * <pre>
 * bin/sluice topic create orders --partitions 6
 * bin/sluice topic create orders-upper --partitions 6
 * java -cp … io.sluice.examples.ExactlyOnceTransform 127.0.0.1:7070 orders orders-upper orders-upper-xf 1000 30
 * </pre>
 */
public final class ExactlyOnceTransform {
  private ExactlyOnceTransform() {}

  /**
   * Transforms up to {@code maxRecords} input records, or for at most {@code maxSeconds} seconds,
   * whichever comes first; prints the number transformed (written with their offsets) and the
   * number of fenced writes (redone after rejoining).
   *
   * @param args bootstrap (host:port[,host:port…]), input topic, output topic, group id,
   *     maxRecords, maxSeconds
   */
  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:7070";
    String input = args.length > 1 ? args[1] : "orders";
    String output = args.length > 2 ? args[2] : "orders-upper";
    String groupId = args.length > 3 ? args[3] : "orders-upper-xf";
    long maxRecords = args.length > 4 ? Long.parseLong(args[4]) : 1000;
    Duration maxTime = Duration.ofSeconds(args.length > 5 ? Long.parseLong(args[5]) : 30);

    try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).build();
        Consumer consumer = client.newConsumer(ConsumerConfig.builder()
            .groupId(groupId)
            .enableAutoCommit(false)                       // offsets are committed by the atomic writes only
            .offsetResetPolicy(OffsetResetPolicy.EARLIEST) // a new group starts at the beginning
            .build());
        Producer producer = client.newProducer()) {
      consumer.subscribe(List.of(input));
      long transformed = 0;
      long fenced = 0;
      long deadline = System.nanoTime() + maxTime.toNanos();
      while (transformed < maxRecords && System.nanoTime() - deadline < 0) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
          continue;
        }
        // Within the bound: a prefix of the poll keeps each partition's records contiguous, so
        // the offsets below cover exactly what is written.
        List<ConsumerRecord> batch = records.subList(0, (int) Math.min(records.size(), maxRecords - transformed));
        List<ProducerRecord> out = new ArrayList<>(batch.size());
        Map<TopicPartition, Long> next = new HashMap<>();
        for (ConsumerRecord r : batch) {
          out.add(ProducerRecord.of(output, r.key(), transform(r.value())));
          next.put(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
        }
        try {
          // The output and the next input offsets in one Raft entry, fenced by the generation.
          producer.sendAtomically(out, next, consumer.groupMetadata()).join();
          transformed += batch.size();
        } catch (CompletionException e) {
          if (e.getCause() instanceof CommitFailedException fence) {
            // A rebalance (or this member's expiry) came first: neither the output nor the offsets
            // were written. The next poll rejoins the group and starts each partition it then owns
            // at the committed offsets, so these inputs are transformed again, by us or another
            // member, and written once.
            fenced++;
            System.out.println("write fenced (" + fence.reason() + "); rejoining");
            continue;
          }
          if (e.getCause() instanceof IndeterminateException) {
            // Rare (e.g. no leader for the whole delivery timeout): the write, offsets included,
            // is all there or not at all. Stop; a restart resumes at the committed offsets.
            throw new IllegalStateException("a transform write has an unknown outcome; restart to resume", e.getCause());
          }
          throw e;
        }
      }
      // close() leaves the group; auto-commit is off, so it commits nothing beyond the writes.
      System.out.println("transformed " + transformed + " records (" + fenced + " fenced writes redone)");
    }
  }

  /** The transformation: the value upper-cased. */
  private static byte[] transform(byte[] value) {
    String s = value == null ? "" : new String(value, StandardCharsets.UTF_8);
    return s.toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
  }
}
