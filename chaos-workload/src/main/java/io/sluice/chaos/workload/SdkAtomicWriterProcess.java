package io.sluice.chaos.workload;

import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * One atomic writer through the SDK: writes one record to each of 2–3 distinct random partitions
 * with {@link Producer#sendAtomically(List)} (all visible or none), one write at a time, waiting for
 * each. The SDK may retry a write internally; it stays one operation with the same values. Values
 * are "NAME-COUNTER". Runs on one thread; the producer is its own.
 */
final class SdkAtomicWriterProcess implements Runnable {

  private final String name;
  private final Producer producer;
  private final HistoryWriter history;
  private final String topic;
  private final int partitions;
  private final Random random;
  private final Pacer pacer;
  private final OutstandingOps outstanding;
  private final BooleanSupplier running;
  private long counter;

  SdkAtomicWriterProcess(String name, Producer producer, HistoryWriter history, WorkloadConfig config, Random random,
      OutstandingOps outstanding, BooleanSupplier running) {
    this.name = name;
    this.producer = producer;
    this.history = history;
    this.topic = config.topic();
    this.partitions = config.partitions();
    this.random = random;
    this.pacer = new Pacer(config.atomicRatePerSecond());
    this.outstanding = outstanding;
    this.running = running;
  }

  @Override
  public void run() {
    while (running.getAsBoolean() && pacer.await()) {
      if (!running.getAsBoolean()) {
        return;
      }
      writeOne();
    }
  }

  private void writeOne() {
    List<Integer> chosen = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      chosen.add(p);
    }
    Collections.shuffle(chosen, random);
    int count = Math.min(partitions, 2 + random.nextInt(2));
    List<OpValue.Send> sends = new ArrayList<>();
    List<ProducerRecord> records = new ArrayList<>();
    for (int partition : chosen.subList(0, count)) {
      String value = name + "-" + counter++;
      sends.add(OpValue.Send.of(topic, partition, null, value));
      records.add(ProducerRecord.builder(topic).partition(partition).value(value.getBytes(StandardCharsets.UTF_8))
          .build());
    }
    outstanding.begin();
    HistoryWriter.Op op = history.invoke(name, new OpValue.Atomic(sends));
    try {
      // Waits for the outcome: the delivery timeout bounds it, and closing the producer on stop ends it.
      producer.sendAtomically(records).handle((metadata, error) -> {
        if (error == null) {
          op.ok(new OpValue.Atomic(acknowledged(sends, metadata)));
        } else {
          Outcomes.failedWrite(op, error);
        }
        return null;
      }).join();
    } catch (RuntimeException e) {
      // sendAtomically threw before queuing the write (producer closed): nothing was sent.
      if (!op.isCompleted()) {
        op.fail("not sent: " + e);
      }
    } finally {
      outstanding.end();
    }
  }

  private static List<OpValue.Send> acknowledged(List<OpValue.Send> sends, List<RecordMetadata> metadata) {
    List<OpValue.Send> acked = new ArrayList<>(sends.size());
    for (int i = 0; i < sends.size(); i++) {
      acked.add(sends.get(i).acknowledged(metadata.get(i).partition(), metadata.get(i).offset()));
    }
    return acked;
  }
}
