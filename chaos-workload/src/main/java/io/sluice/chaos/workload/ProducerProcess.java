package io.sluice.chaos.workload;

import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One producer process: sends unique values "NAME-COUNTER" through its own SDK producer, half
 * keyed (the partitioner chooses), half to an explicit random partition, at a fixed rate with a
 * bound on sends outstanding. Every send is recorded: invoke before {@code send}, completion from
 * the future. Runs on one thread; completions arrive on the SDK's threads.
 */
final class ProducerProcess implements Runnable {

  private static final int KEYS = 32;

  private final String name;
  private final Producer producer;
  private final HistoryWriter history;
  private final String topic;
  private final int partitions;
  private final Random random;
  private final Pacer pacer;
  private final Semaphore inFlight;
  private final OutstandingOps outstanding;
  private final BooleanSupplier running;
  private long counter;

  ProducerProcess(String name, Producer producer, HistoryWriter history, WorkloadConfig config, Random random,
      OutstandingOps outstanding, BooleanSupplier running) {
    this.name = name;
    this.producer = producer;
    this.history = history;
    this.topic = config.topic();
    this.partitions = config.partitions();
    this.random = random;
    this.pacer = new Pacer(config.producerRatePerSecond());
    this.inFlight = new Semaphore(config.producerInFlightMax());
    this.outstanding = outstanding;
    this.running = running;
  }

  @Override
  public void run() {
    while (running.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
      try {
        if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
          continue;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (!pacer.await() || !running.getAsBoolean()) {
        inFlight.release();
        return;
      }
      sendOne();
    }
  }

  private void sendOne() {
    String value = name + "-" + counter++;
    boolean keyed = random.nextBoolean();
    String key = keyed ? "k" + random.nextInt(KEYS) : null;
    Integer partition = keyed ? null : random.nextInt(partitions);
    OpValue.Send send = OpValue.Send.of(topic, partition, key, value);
    ProducerRecord.Builder record = ProducerRecord.builder(topic).value(value.getBytes(StandardCharsets.UTF_8));
    if (keyed) {
      record.key(key.getBytes(StandardCharsets.UTF_8));
    } else {
      record.partition(partition);
    }
    outstanding.begin();
    HistoryWriter.Op op = history.invoke(name, send);
    try {
      producer.send(record.build()).whenComplete((metadata, error) -> {
        try {
          if (error == null) {
            op.ok(send.acknowledged(metadata.partition(), metadata.offset()));
          } else {
            Outcomes.failedWrite(op, error);
          }
        } finally {
          inFlight.release();
          outstanding.end();
        }
      });
    } catch (RuntimeException e) {
      // send() threw: the record was never queued (producer closed, null record).
      op.fail("not sent: " + e);
      inFlight.release();
      outstanding.end();
    }
  }
}
