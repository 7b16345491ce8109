package io.sluice.chaos;

import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.client.WriteOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The chaos workload through the SDK (interim, until the checker helper's reusable workload is
 * merged): producer processes {@code p0…} send unique values {@code pN-counter} to keyed and to
 * explicit partitions, each with a bounded number of sends in flight (the last producer without
 * idempotence, the others with it); one consumer process
 * {@code c0} polls every partition from offset 0. Every operation goes into the history.
 *
 * <p>Outcomes: an acknowledged send is {@code ok} with its offset; a failure the SDK reports as
 * {@link WriteOutcome#NOT_WRITTEN} is {@code fail}; anything else (indeterminate, a timeout) is
 * {@code info}. Threads: one per process, started by {@link #start}, stopped by {@link #stop}.
 */
final class Workload {
  static final String TOPIC = "chaos";
  private static final int IN_FLIGHT_MAX = 16;
  private static final long SEND_GAP_MS = 8;

  private final SluiceClient client;
  private final HistoryWriter history;
  private final int partitions;
  private final int producers;
  private final long seed;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> threads = new ArrayList<>();
  private final List<Semaphore> inFlight = new ArrayList<>();
  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong lastAckNs = new AtomicLong();

  Workload(SluiceClient client, HistoryWriter history, int partitions, int producers, long seed) {
    this.client = client;
    this.history = history;
    this.partitions = partitions;
    this.producers = producers;
    this.seed = seed;
  }

  void start() {
    for (int i = 0; i < producers; i++) {
      int p = i;
      Semaphore s = new Semaphore(IN_FLIGHT_MAX);
      inFlight.add(s);
      threads.add(startThread("chaos-p" + p, () -> produce(p, s)));
    }
    threads.add(startThread("chaos-c0", this::poll));
  }

  private static Thread startThread(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Records acknowledged so far. */
  long acked() {
    return acked.get();
  }

  /** history time (ns) of the last acknowledgement, 0 before the first. */
  long lastAckNs() {
    return lastAckNs.get();
  }

  /** Stops issuing operations and waits (bounded by {@code wait}) for those in flight to resolve. */
  void stop(Duration wait) throws InterruptedException {
    running.set(false);
    long deadline = System.nanoTime() + wait.toNanos();
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
    }
  }

  private void produce(int p, Semaphore slots) {
    String process = "p" + p;
    Random random = new Random(seed * 31 + p);
    // The last producer is not idempotent: its sends whose outcome is unknown end as info (the SDK
    // does not retry them), so the history also holds indeterminate writes.
    boolean idempotent = p < producers - 1;
    ProducerConfig config = ProducerConfig.builder().deliveryTimeout(Duration.ofSeconds(20))
        .idempotence(idempotent).build();
    try (Producer producer = client.newProducer(config)) {
      for (long counter = 0; running.get(); counter++) {
        String value = process + "-" + counter;
        boolean keyed = random.nextBoolean();
        String key = keyed ? "k" + random.nextInt(32) : null;
        Integer partition = keyed ? null : random.nextInt(partitions);
        ProducerRecord.Builder rb = ProducerRecord.builder(TOPIC).value(value.getBytes(StandardCharsets.UTF_8));
        if (keyed) {
          rb.key(key.getBytes(StandardCharsets.UTF_8));
        } else {
          rb.partition(partition);
        }
        if (!slots.tryAcquire(30, TimeUnit.SECONDS)) {
          continue; // bounded wait; the loop re-checks running
        }
        HistoryWriter.Op op = history.invoke(process, OpValue.Send.of(TOPIC, partition, key, value));
        try {
          producer.send(rb.build()).whenComplete((md, err) -> {
            try {
              if (err == null) {
                op.ok(OpValue.Send.of(TOPIC, md.partition(), key, value).acknowledged(md.partition(), md.offset()));
                acked.incrementAndGet();
                lastAckNs.set(history.nowNs());
              } else {
                complete(op, err);
              }
            } finally {
              slots.release();
            }
          });
        } catch (RuntimeException e) {
          complete(op, e);
          slots.release();
        }
        Thread.sleep(SEND_GAP_MS);
      }
      // Let the sends in flight resolve (each within the delivery timeout) before closing.
      slots.tryAcquire(IN_FLIGHT_MAX, 40, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void complete(HistoryWriter.Op op, Throwable err) {
    Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    String why = cause.getClass().getSimpleName() + ": " + cause.getMessage();
    if (cause instanceof SluiceException se && se.writeOutcome() == WriteOutcome.NOT_WRITTEN) {
      op.fail(why);
    } else {
      op.info(why);
    }
  }

  private void poll() {
    String process = "c0";
    try (Consumer consumer = client.newConsumer(ConsumerConfig.defaults())) {
      List<TopicPartition> tps = new ArrayList<>();
      List<OpValue.Position> positions = new ArrayList<>();
      for (int i = 0; i < partitions; i++) {
        tps.add(new TopicPartition(TOPIC, i));
        positions.add(new OpValue.Position(TOPIC, i, 0));
      }
      consumer.assign(tps);
      history.assign(process, new OpValue.Assign(null, null, positions));
      while (running.get()) {
        HistoryWriter.Op op = history.invoke(process, new OpValue.Poll(null, null));
        try {
          List<OpValue.Read> reads = new ArrayList<>();
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
            reads.add(new OpValue.Read(r.topic(), r.partition(), r.offset(),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                new String(r.value(), StandardCharsets.UTF_8)));
          }
          op.ok(new OpValue.Poll(null, reads));
        } catch (RuntimeException e) {
          op.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
          sleep(200);
        }
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
