package io.sluice.node.cli;

import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice bench produce}: like Kafka's {@code ProducerPerformance}. {@code --producers}
 * threads, each with its own producer (sharing one client), send records of
 * {@code --record-size} bytes (null key: sticky partitioning) as fast as the producer's buffer
 * allows, or paced to {@code --target-rate} overall. Latency is from {@code send()} to the
 * acknowledgement (majority commit with fsync); throughput counts acknowledged records.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Produce throughput and acknowledgement latency (like Kafka's ProducerPerformance).",
      "Latency: from send() to the acknowledgement. Progress on stderr; result on stdout."
    })
final class BenchProduceCommand implements Callable<Integer> {

  private static final long METADATA_TIMEOUT_MS = 10_000;

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin BenchCommand.Common common;
  @Mixin BenchCommand.ProducerOptions producerOptions;

  @Option(
      names = "--record-size",
      paramLabel = "BYTES",
      defaultValue = "1024",
      description = "Value size of each record (default: ${DEFAULT-VALUE}).")
  int recordSize;

  @Option(
      names = "--producers",
      paramLabel = "N",
      defaultValue = "1",
      description = "Producer objects, each on its own sending thread (default: ${DEFAULT-VALUE}).")
  int producers;

  @Option(
      names = "--target-rate",
      paramLabel = "RATE",
      defaultValue = "unlimited",
      description = "Records/s over all producers, or unlimited (default: ${DEFAULT-VALUE}).")
  String targetRate;

  @Option(
      names = "--linger-ms",
      paramLabel = "MS",
      defaultValue = "5",
      description = "How long a batch waits for more records (default: ${DEFAULT-VALUE}).")
  long lingerMs;

  @Override
  public Integer call() throws InterruptedException {
    common.validate(spec);
    producerOptions.validate(spec);
    Validate.positive(spec, "--record-size", recordSize);
    Validate.positive(spec, "--producers", producers);
    Validate.notNegative(spec, "--linger-ms", lingerMs);
    double rate = BenchCommand.targetRate(spec, targetRate);
    try (SluiceClient sluice = client.connect(Duration.ofMillis(METADATA_TIMEOUT_MS))) {
      BenchCommand.ensureTopic(sluice, common.topic, producerOptions.partitions, METADATA_TIMEOUT_MS);
      List<Producer> list = new ArrayList<>();
      try {
        for (int i = 0; i < producers; i++) {
          list.add(sluice.newProducer(producerOptions.config(lingerMs)));
        }
        return run(list, rate);
      } finally {
        list.forEach(p -> p.close(Duration.ofSeconds(5)));
      }
    }
  }

  private int run(List<Producer> list, double rate) throws InterruptedException {
    byte[] value = BenchCommand.payload(recordSize);
    warmUp(list, value);
    long startNanos = System.nanoTime();
    long deadlineNanos = common.deadlineNanos(startNanos);
    BenchStats stats = new BenchStats(true, startNanos);
    AtomicLong remaining = new AtomicLong(common.recordsBound());
    List<Thread> threads = new ArrayList<>();
    try (BenchCommand.Progress progress =
        new BenchCommand.Progress(stats, "acknowledged", common.progressMs, spec.commandLine().getErr())) {
      for (Producer producer : list) {
        Thread t = new Thread(() -> send(producer, value, rate / list.size(), startNanos, deadlineNanos,
            remaining, stats), "bench-producer-" + threads.size());
        threads.add(t);
        t.start();
      }
      for (Thread t : threads) {
        t.join();
      }
    }
    return BenchCommand.report(spec, "produce", common.json, stats.finish(System.nanoTime()), stats.firstError());
  }

  /** Sends the warm-up records and waits for them, so that measuring starts on a warm path. */
  private void warmUp(List<Producer> list, byte[] value) {
    for (long i = 0; i < common.warmupRecords; i++) {
      list.get((int) (i % list.size())).send(ProducerRecord.of(common.topic, value));
    }
    list.forEach(Producer::flush);
  }

  private void send(Producer producer, byte[] value, double ratePerSecond, long startNanos, long deadlineNanos,
      AtomicLong remaining, BenchStats stats) {
    long sent = 0;
    while (remaining.getAndDecrement() > 0 && System.nanoTime() < deadlineNanos) {
      BenchCommand.pace(startNanos, sent++, ratePerSecond);
      long sendNanos = System.nanoTime();
      producer.send(ProducerRecord.of(common.topic, value)).whenComplete((metadata, error) -> {
        if (error != null) {
          stats.recordError(error);
        } else {
          stats.recordSuccess(recordSize, System.nanoTime() - sendNanos);
        }
      });
    }
    // Every send completes (acknowledged or failed) within the delivery timeout.
    producer.flush();
  }
}
