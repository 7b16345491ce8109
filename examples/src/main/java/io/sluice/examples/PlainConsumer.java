package io.sluice.examples;

import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads every partition of a topic from the beginning up to the end offsets it sees at start,
 * with manual assignment (no consumer group). A consumer is used by one thread.
 *
 * <pre>
 * java -cp … io.sluice.examples.PlainConsumer 127.0.0.1:7070 orders
 * </pre>
 */
public final class PlainConsumer {
  private PlainConsumer() {}

  /**
   * Prints {@code partition:offset key=value} for every record, then the count.
   *
   * @param args bootstrap (host:port[,host:port…]), topic
   */
  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:7070";
    String topic = args.length > 1 ? args[1] : "orders";
    try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).build();
        Consumer consumer = client.newConsumer()) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      // Linearizable: includes every record acknowledged before this call, whichever node answers.
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long remaining = end.entrySet().stream().mapToLong(e -> e.getValue() - consumer.position(e.getKey())).sum();
      long read = 0;
      while (read < remaining) {
        for (ConsumerRecord r : consumer.poll(Duration.ofSeconds(1))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
            continue; // written after we started
          }
          read++;
          System.out.println(r.partition() + ":" + r.offset() + " " + text(r.key()) + "=" + text(r.value()));
        }
      }
      System.out.println("read " + read + " records");
    }
  }

  private static String text(byte[] b) {
    return b == null ? "" : new String(b, StandardCharsets.UTF_8);
  }
}
