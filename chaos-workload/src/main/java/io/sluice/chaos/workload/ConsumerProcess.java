package io.sluice.chaos.workload;

import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * One consumer process: reads every partition of the topic from offset 0 with its own SDK
 * consumer, recording an {@code assign} at the start and every poll with the records it returned.
 * Runs on one thread (the SDK consumer is not thread-safe).
 */
final class ConsumerProcess implements Runnable {

  private final String name;
  private final Consumer consumer;
  private final HistoryWriter history;
  private final String topic;
  private final int partitions;
  private final Duration pollTimeout;
  private final BooleanSupplier running;

  ConsumerProcess(String name, Consumer consumer, HistoryWriter history, WorkloadConfig config, BooleanSupplier running) {
    this.name = name;
    this.consumer = consumer;
    this.history = history;
    this.topic = config.topic();
    this.partitions = config.partitions();
    this.pollTimeout = config.pollTimeout();
    this.running = running;
  }

  @Override
  public void run() {
    List<TopicPartition> assigned = new ArrayList<>();
    List<OpValue.Position> positions = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      assigned.add(new TopicPartition(topic, p));
      positions.add(new OpValue.Position(topic, p, 0));
    }
    consumer.assign(assigned);
    history.assign(name, new OpValue.Assign(null, null, positions));
    try {
      while (running.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
        pollOnce();
      }
    } finally {
      consumer.close();
    }
  }

  private void pollOnce() {
    HistoryWriter.Op op = history.invoke(name, new OpValue.Poll(null, null));
    try {
      List<ConsumerRecord> records = consumer.poll(pollTimeout);
      List<OpValue.Read> reads = new ArrayList<>(records.size());
      for (ConsumerRecord record : records) {
        reads.add(new OpValue.Read(record.topic(), record.partition(), record.offset(),
            text(record.key()), text(record.value())));
      }
      op.ok(new OpValue.Poll(null, reads));
    } catch (RuntimeException e) {
      op.fail(String.valueOf(e));
      sleepQuietly(pollTimeout);
    }
  }

  static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private static void sleepQuietly(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
