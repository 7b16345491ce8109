package io.sluice.node.cli;

import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice bench e2e}: like Kafka's {@code EndToEndLatency}. A producer sends records and a
 * streaming consumer in the same process receives them; the latency of a record is from just
 * before {@code send()} to the consumer's {@code poll()} returning it (one clock: both sides are
 * in this process).
 *
 * <p>Without {@code --target-rate}, one record at a time: the next is sent once the previous one
 * was received. With it, records are sent at that fixed rate whatever the latency. Each value
 * starts with a run id, a sequence number and the send time (24 bytes), so records of other runs
 * are ignored. A record not received within {@code --timeout-ms} counts as an error.
 */
@Command(
    name = "e2e",
    mixinStandardHelpOptions = true,
    description = {
      "End-to-end latency: from send() to a streaming consumer receiving the record (like Kafka's"
          + " EndToEndLatency).",
      "One record at a time, or at a fixed --target-rate. Progress on stderr; result on stdout."
    })
final class BenchE2eCommand implements Callable<Integer> {

  /** Run id, sequence number, send time. */
  static final int HEADER_BYTES = 24;

  private static final long METADATA_TIMEOUT_MS = 10_000;
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin BenchCommand.Common common;
  @Mixin BenchCommand.ProducerOptions producerOptions;

  @Option(
      names = "--record-size",
      paramLabel = "BYTES",
      defaultValue = "1024",
      description = "Value size of each record, at least " + HEADER_BYTES + " (default: ${DEFAULT-VALUE}).")
  int recordSize;

  @Option(
      names = "--target-rate",
      paramLabel = "RATE",
      defaultValue = "one-at-a-time",
      description = "Records/s, or one-at-a-time: send the next once the previous arrived (default: ${DEFAULT-VALUE}).")
  String targetRate;

  @Option(
      names = "--linger-ms",
      paramLabel = "MS",
      defaultValue = "0",
      description = "How long a batch waits for more records (default: ${DEFAULT-VALUE}).")
  long lingerMs;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      defaultValue = "30000",
      description = "A record not received this long after it was sent is an error (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  private final long runId = new Random().nextLong();
  private volatile Throwable sendFailure;

  @Override
  public Integer call() throws InterruptedException {
    common.validate(spec);
    producerOptions.validate(spec);
    Validate.notNegative(spec, "--linger-ms", lingerMs);
    Validate.positive(spec, "--timeout-ms", timeoutMs);
    if (recordSize < HEADER_BYTES) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--record-size must be at least " + HEADER_BYTES + " for e2e (run id, sequence, send time), got "
              + recordSize);
    }
    double rate = targetRate.equalsIgnoreCase("one-at-a-time") ? 0 : BenchCommand.targetRate(spec, targetRate);
    if (rate == 0 && !targetRate.equalsIgnoreCase("one-at-a-time")) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--target-rate for e2e is a number of records/s or one-at-a-time, got '" + targetRate + "'");
    }
    try (SluiceClient sluice = client.connect(Duration.ofMillis(METADATA_TIMEOUT_MS));
        Consumer consumer = sluice.newConsumer()) {
      BenchCommand.ensureTopic(sluice, common.topic, producerOptions.partitions, METADATA_TIMEOUT_MS);
      List<TopicPartition> partitions = consumer.partitionsFor(common.topic);
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
      Producer producer = sluice.newProducer(producerOptions.config(lingerMs));
      try {
        return run(producer, consumer, rate);
      } finally {
        producer.close(Duration.ofSeconds(5));
      }
    }
  }

  private int run(Producer producer, Consumer consumer, double rate) throws InterruptedException {
    byte[] template = BenchCommand.payload(recordSize);
    long total = common.warmupRecords + common.recordsBound();
    Receiver receiver = new Receiver(consumer);
    Thread receiving = new Thread(receiver, "bench-e2e-consumer");
    receiving.setDaemon(true);
    receiving.start();
    try {
      // Warm-up, sent like the measured records (one at a time, or at the rate), not counted.
      long warmupStartNanos = System.nanoTime();
      for (long seq = 0; seq < common.warmupRecords; seq++) {
        BenchCommand.pace(warmupStartNanos, seq, rate);
        CompletableFuture<?> send = sendOne(producer, template, seq);
        if (rate == 0) {
          receiver.awaitOne(send, timeoutMs);
        }
      }
      receiver.awaitWarmup(common.warmupRecords, timeoutMs);
      long startNanos = System.nanoTime();
      BenchStats stats = new BenchStats(true, startNanos);
      receiver.measure(stats);
      long deadlineNanos = common.deadlineNanos(startNanos);
      long sent = 0;
      try (BenchCommand.Progress progress =
          new BenchCommand.Progress(stats, "received", common.progressMs, spec.commandLine().getErr())) {
        for (long seq = common.warmupRecords; seq < total && System.nanoTime() < deadlineNanos; seq++) {
          BenchCommand.pace(startNanos, sent, rate);
          CompletableFuture<?> send = sendOne(producer, template, seq);
          sent++;
          if (rate == 0) {
            receiver.awaitOne(send, timeoutMs);
          }
        }
        receiver.awaitCount(sent, timeoutMs);
      }
      // A record not received (its send failed, or it did not arrive in time) is an error.
      Throwable first = sendFailure != null ? sendFailure
          : new CliException("a record was not received within " + timeoutMs + " ms");
      for (long missing = sent - receiver.measured(); missing > 0; missing--) {
        stats.recordError(first);
      }
      return BenchCommand.report(spec, "e2e", common.json, stats.finish(receiver.lastReceivedNanos(startNanos)),
          stats.firstError());
    } finally {
      receiver.stop();
      receiving.join(TimeUnit.SECONDS.toMillis(5));
    }
  }

  private CompletableFuture<?> sendOne(Producer producer, byte[] template, long seq) {
    byte[] value = template.clone();
    ByteBuffer.wrap(value).putLong(runId).putLong(seq).putLong(System.nanoTime());
    return producer.send(ProducerRecord.of(common.topic, value)).whenComplete((m, error) -> {
      if (error != null && sendFailure == null) {
        sendFailure = error;
      }
    });
  }

  /** Polls on its own thread; the consumer is used by nothing else while it runs. */
  private final class Receiver implements Runnable {
    private final Consumer consumer;
    private final Semaphore arrivals = new Semaphore(0);
    private final AtomicLong measured = new AtomicLong();
    private final AtomicLong warmupArrived = new AtomicLong();
    private volatile BenchStats stats;
    private volatile boolean stopped;
    private volatile long lastReceivedNanos;
    private volatile Throwable failure;

    Receiver(Consumer consumer) {
      this.consumer = consumer;
    }

    @Override
    public void run() {
      try {
        while (!stopped) {
          List<ConsumerRecord> records = consumer.poll(POLL_TIMEOUT);
          long now = System.nanoTime();
          for (ConsumerRecord r : records) {
            receive(r, now);
          }
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    private void receive(ConsumerRecord r, long nowNanos) {
      byte[] v = r.value();
      if (v == null || v.length < HEADER_BYTES) {
        return;
      }
      ByteBuffer b = ByteBuffer.wrap(v);
      if (b.getLong() != runId) {
        return; // another run's record
      }
      long seq = b.getLong();
      long sentNanos = b.getLong();
      BenchStats s = stats;
      if (seq < common.warmupRecords) {
        warmupArrived.incrementAndGet();
      } else if (s != null) {
        s.recordSuccess(v.length, nowNanos - sentNanos);
        measured.incrementAndGet();
        lastReceivedNanos = nowNanos;
      }
      arrivals.release();
    }

    void measure(BenchStats s) {
      arrivals.drainPermits();
      stats = s;
    }

    /** Waits for the next arrival, until {@code send} fails, or {@code timeoutMs}; true if it arrived. */
    boolean awaitOne(CompletableFuture<?> send, long timeoutMs) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      while (System.nanoTime() < deadline) {
        checkAlive();
        if (arrivals.tryAcquire(1, TimeUnit.MILLISECONDS)) {
          return true;
        }
        if (send.isCompletedExceptionally()) {
          return false;
        }
      }
      return false;
    }

    /** Waits until {@code count} measured records arrived, or {@code idleMs} passed without one. */
    void awaitCount(long count, long idleMs) throws InterruptedException {
      await(measured, count, idleMs);
    }

    /** Waits for the warm-up records like {@link #awaitCount}; ones that never come are not counted. */
    void awaitWarmup(long count, long idleMs) throws InterruptedException {
      await(warmupArrived, count, idleMs);
    }

    private void await(AtomicLong counter, long count, long idleMs) throws InterruptedException {
      long last = counter.get();
      long idleSince = System.nanoTime();
      while (counter.get() < count && failure == null) {
        Thread.sleep(5);
        long now = counter.get();
        if (now != last) {
          last = now;
          idleSince = System.nanoTime();
        } else if (System.nanoTime() - idleSince > TimeUnit.MILLISECONDS.toNanos(idleMs)) {
          return;
        }
      }
      checkAlive();
    }

    long measured() {
      return measured.get();
    }

    long lastReceivedNanos(long startNanos) {
      long last = lastReceivedNanos;
      return last == 0 ? System.nanoTime() : Math.max(last, startNanos);
    }

    void stop() {
      stopped = true;
    }

    private void checkAlive() {
      Throwable f = failure;
      if (f instanceof RuntimeException e) {
        throw e;
      }
    }
  }
}
