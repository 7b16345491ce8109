package io.sluice.examples;

import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.protocol.CompressionType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Sends keyed records and waits for every acknowledgement. Records with the same key go to the
 * same partition, in send order; the producer is idempotent by default, so retries after a
 * failover never store a record twice.
 *
 * <pre>
 * bin/sluice topic create orders --partitions 6
 * java -cp … io.sluice.examples.PlainProducer 127.0.0.1:7070 orders 1000
 * </pre>
 */
public final class PlainProducer {
  private PlainProducer() {}

  /**
   * Sends {@code count} records to {@code topic} and prints where the last one went.
   *
   * @param args bootstrap (host:port[,host:port…]), topic, count
   * @throws Exception when a send fails (the exception says whether it may have been written)
   */
  public static void main(String[] args) throws Exception {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:7070";
    String topic = args.length > 1 ? args[1] : "orders";
    int count = args.length > 2 ? Integer.parseInt(args[2]) : 1000;

    // One client per application: it is thread-safe and holds the connections.
    try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).build();
        Producer producer = client.newProducer(ProducerConfig.builder()
            .linger(Duration.ofMillis(10))           // wait up to 10 ms to fill a batch
            .compression(CompressionType.LZ4)         // batches travel and are stored compressed
            .deliveryTimeout(Duration.ofSeconds(60))  // retries included
            .build())) {
      List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        byte[] key = ("customer-" + (i % 10)).getBytes(StandardCharsets.UTF_8);
        byte[] value = ("order " + i).getBytes(StandardCharsets.UTF_8);
        sends.add(producer.send(ProducerRecord.of(topic, key, value)));
      }
      producer.flush();
      RecordMetadata last = null;
      for (CompletableFuture<RecordMetadata> f : sends) {
        last = f.join(); // throws CompletionException wrapping a SluiceException on failure
      }
      System.out.println("sent " + count + " records; the last is " + last.topic() + "-" + last.partition()
          + " offset " + last.offset());
    }
  }
}
