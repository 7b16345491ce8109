package io.sluice.examples;

import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRebalanceListener;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.OffsetResetPolicy;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A member of a consumer group: the cluster spreads the topic's partitions over the group's
 * members (start several to see them shared), and this one commits, by hand, the offsets of what
 * it has processed. A record whose offset was committed is never delivered to the group again;
 * records processed but not yet committed when a partition moves are delivered again to its next
 * owner (at-least-once), which is why the rebalance listener commits before giving partitions up.
 *
 * <pre>
 * bin/sluice topic create orders --partitions 6
 * java -cp … io.sluice.examples.GroupConsumer 127.0.0.1:7070 orders order-readers 1000 30
 * </pre>
 */
public final class GroupConsumer {
  private GroupConsumer() {}

  /**
   * Prints {@code partition:offset value} for every record it processes, committing after each
   * poll, and stops after {@code maxRecords} records or {@code maxSeconds} seconds, whichever
   * comes first; then prints the count.
   *
   * @param args bootstrap (host:port[,host:port…]), topic, group id, maxRecords, maxSeconds
   */
  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:7070";
    String topic = args.length > 1 ? args[1] : "orders";
    String groupId = args.length > 2 ? args[2] : "order-readers";
    long maxRecords = args.length > 3 ? Long.parseLong(args[3]) : 1000;
    Duration maxTime = Duration.ofSeconds(args.length > 4 ? Long.parseLong(args[4]) : 30);

    try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).build();
        Consumer consumer = client.newConsumer(ConsumerConfig.builder()
            .groupId(groupId)
            .enableAutoCommit(false)                      // we commit what we processed, below
            .offsetResetPolicy(OffsetResetPolicy.EARLIEST) // a new group reads from the beginning
            .build())) {
      // Next offset to consume per partition, for the records processed but not yet committed.
      Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();

      // Runs inside poll, on this thread: it may use the consumer.
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          // Still in the old generation: commit now, or the next owner re-reads these records.
          commit(consumer, processed);
          processed.clear();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          System.out.println("assigned " + partitions.size() + " partitions: " + partitions);
        }
      });

      long count = 0;
      long deadline = System.nanoTime() + maxTime.toNanos();
      while (count < maxRecords && System.nanoTime() - deadline < 0) {
        List<ConsumerRecord> records = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord r : records) {
          if (count == maxRecords) {
            break; // the rest stays uncommitted; the group delivers it again later
          }
          System.out.println(r.partition() + ":" + r.offset() + " " + text(r.value()));
          processed.put(new TopicPartition(r.topic(), r.partition()), OffsetAndMetadata.of(r.offset() + 1));
          count++;
        }
        commit(consumer, processed);
        processed.clear();
      }
      // close() leaves the group (auto-commit is off, so it commits nothing itself).
      System.out.println("consumed " + count + " records");
    }
  }

  /** Commits {@code processed}; a fenced commit only means the records will be delivered again. */
  private static void commit(Consumer consumer, Map<TopicPartition, OffsetAndMetadata> processed) {
    if (processed.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(processed);
    } catch (CommitFailedException e) {
      // The group rebalanced (or expired this member) first: nothing was committed, and the next
      // poll rejoins. The new owner of these partitions starts at the last committed offsets.
      System.out.println("commit fenced (" + e.reason() + "); those records will be delivered again");
    }
  }

  private static String text(byte[] b) {
    return b == null ? "" : new String(b, StandardCharsets.UTF_8);
  }
}
