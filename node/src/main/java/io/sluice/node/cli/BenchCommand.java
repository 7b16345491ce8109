package io.sluice.node.cli;

import io.sluice.protocol.CompressionType;
import io.sluice.client.ProducerConfig;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicInfo;
import io.sluice.client.UnknownTopicException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice bench produce|consume|e2e}: load generators modelled on Kafka's
 * {@code ProducerPerformance}, {@code ConsumerPerformance} and {@code EndToEndLatency}, through
 * the SDK, so that figures can be put side by side.
 *
 * <p>Every run prints progress lines on standard error while it runs, then one summary line
 * ({@code records=… seconds=… records/s=… MiB/s=… latency-ms avg=… p50=… p99=… p99.9=… max=…
 * errors=…}, then for produce and e2e {@code gap-ms max=… at-s=…}: the longest time without an
 * acknowledgement or arrival, and when it ended) on standard output, or with {@code --json} one
 * JSON object instead. Exit 0 when no record failed, 1 otherwise (the figures are still printed),
 * 2 for bad usage.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmarks against a running cluster: produce throughput, consume throughput,"
          + " end-to-end latency."
    },
    subcommands = {
      BenchProduceCommand.class,
      BenchConsumeCommand.class,
      BenchE2eCommand.class,
    })
final class BenchCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing benchmark: produce, consume or e2e");
  }

  /** Options every benchmark takes. Mixed into each subcommand. */
  static final class Common {
    /** Without --records and without --duration-s. */
    static final long DEFAULT_RECORDS = 100_000;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to use.")
    String topic;

    @Option(
        names = "--records",
        paramLabel = "N",
        description =
            "Records to measure, warm-up excluded (default: " + DEFAULT_RECORDS
                + ", or no limit with --duration-s).")
    Long records;

    @Option(
        names = "--duration-s",
        paramLabel = "S",
        description = "Stop measuring after this many seconds (default: only --records bounds the run).")
    Long durationS;

    @Option(
        names = "--warmup-records",
        paramLabel = "N",
        defaultValue = "0",
        description = "Records sent (or read) before measuring starts, not counted (default: ${DEFAULT-VALUE}).")
    long warmupRecords;

    @Option(
        names = "--progress-ms",
        paramLabel = "MS",
        defaultValue = "5000",
        description = "Interval between progress lines on standard error (default: ${DEFAULT-VALUE}).")
    long progressMs;

    @Option(names = "--json", description = "Print the result as one JSON object instead of the summary line.")
    boolean json;

    void validate(CommandSpec spec) {
      if (records != null) {
        Validate.positive(spec, "--records", records);
      }
      if (durationS != null) {
        Validate.positive(spec, "--duration-s", durationS);
      }
      Validate.notNegative(spec, "--warmup-records", warmupRecords);
      Validate.positive(spec, "--progress-ms", progressMs);
    }

    long recordsBound() {
      if (records != null) {
        return records;
      }
      return durationS != null ? Long.MAX_VALUE : DEFAULT_RECORDS;
    }

    /** System.nanoTime() after which no more records are started, or Long.MAX_VALUE. */
    long deadlineNanos(long startNanos) {
      return durationS == null ? Long.MAX_VALUE : startNanos + TimeUnit.SECONDS.toNanos(durationS);
    }
  }

  /** Producer options shared by produce and e2e. */
  static final class ProducerOptions {
    @Option(
        names = "--batch-bytes",
        paramLabel = "BYTES",
        defaultValue = "65536",
        description = "Largest batch per partition, in bytes (default: ${DEFAULT-VALUE}).")
    int batchBytes;

    @Option(
        names = "--compression",
        paramLabel = "CODEC",
        defaultValue = "none",
        description = "Batch compression: none, lz4 or zstd (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(
        names = "--max-in-flight",
        paramLabel = "N",
        defaultValue = "5",
        description = "Produce requests in flight per producer (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(
        names = "--buffer-bytes",
        paramLabel = "BYTES",
        defaultValue = "33554432",
        description = "Producer buffer; sending blocks while it is full (default: ${DEFAULT-VALUE}).")
    long bufferBytes;

    @Option(
        names = "--partitions",
        paramLabel = "N",
        description = "Create the topic with N partitions if it does not exist; if it exists it must have N.")
    Integer partitions;

    void validate(CommandSpec spec) {
      Validate.positive(spec, "--batch-bytes", batchBytes);
      Validate.positive(spec, "--max-in-flight", maxInFlight);
      Validate.positive(spec, "--buffer-bytes", bufferBytes);
      if (partitions != null) {
        Validate.positive(spec, "--partitions", partitions);
      }
      compressionType(spec);
    }

    private CompressionType compressionType(CommandSpec spec) {
      try {
        return CompressionType.parse(compression);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--compression: " + e.getMessage());
      }
    }

    ProducerConfig config(long lingerMs) {
      return ProducerConfig.builder()
          .linger(Duration.ofMillis(lingerMs))
          .batchSizeBytesMax(batchBytes)
          .maxInFlightRequests(maxInFlight)
          .bufferBytesMax(bufferBytes)
          .compression(CompressionType.parse(compression))
          .build();
    }
  }

  /**
   * Parses {@code --target-rate}: records per second, or {@code unlimited}.
   *
   * @return records per second, or 0 for unlimited
   */
  static double targetRate(CommandSpec spec, String text) {
    if (text == null || text.equalsIgnoreCase("unlimited")) {
      return 0;
    }
    try {
      double rate = Double.parseDouble(text);
      if (rate > 0 && Double.isFinite(rate)) {
        return rate;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ParameterException(spec.commandLine(),
        "--target-rate must be a positive number of records/s or 'unlimited', got '" + text + "'");
  }

  /** Makes sure the topic exists (creating it with --partitions) and returns its partition count. */
  static int ensureTopic(SluiceClient sluice, String topic, Integer partitions, long timeoutMs) {
    try {
      TopicInfo info = Await.get(sluice.admin().describeTopic(topic), timeoutMs, "looking up topic '" + topic + "'");
      int actual = info.partitions().size();
      if (partitions != null && partitions != actual) {
        throw new CliException("topic '" + topic + "' exists with " + actual + " partitions, not "
            + partitions + "; delete it or drop --partitions");
      }
      return actual;
    } catch (UnknownTopicException e) {
      if (partitions == null) {
        throw new CliException("topic '" + topic + "' does not exist; create it or pass --partitions N");
      }
      Await.get(sluice.admin().createTopic(topic, partitions), timeoutMs, "creating topic '" + topic + "'");
      return partitions;
    }
  }

  /** A payload of random upper-case letters (like Kafka's tool), from a fixed seed. */
  static byte[] payload(int size) {
    byte[] bytes = new byte[size];
    Random random = new Random(42);
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) ('A' + random.nextInt(26));
    }
    return bytes;
  }

  /** Waits until the {@code i}-th record of a stream paced at {@code ratePerSecond} is due. */
  static void pace(long startNanos, long i, double ratePerSecond) {
    if (ratePerSecond <= 0) {
      return;
    }
    long due = startNanos + (long) (i * 1e9 / ratePerSecond);
    long wait;
    while ((wait = due - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  /** Prints progress every interval until closed; the result is taken after closing. */
  static final class Progress implements AutoCloseable {
    private final ScheduledExecutorService timer;

    Progress(BenchStats stats, String verb, long intervalMs, PrintWriter err) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "bench-progress");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleAtFixedRate(() -> stats.progress(verb, System.nanoTime(), err), intervalMs, intervalMs,
          TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
      timer.shutdownNow();
      try {
        // stats.progress and stats.finish must not overlap.
        timer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Prints the result and any failure; returns the exit code. */
  static int report(CommandSpec spec, String kind, boolean json, BenchStats.Result result, Throwable firstError) {
    CommandLine cl = spec.commandLine();
    PrintWriter out = cl.getOut();
    out.println(json ? Json.write(result.json(kind)) : result.line());
    out.flush();
    if (result.errors() > 0) {
      cl.getErr().println(CliErrors.PREFIX + result.errors() + " records failed (first failure: "
          + (firstError == null ? "not received in time" : CliErrors.describe(unwrap(firstError))) + ")");
      cl.getErr().flush();
      return SluiceCli.EXIT_FAILED;
    }
    return SluiceCli.EXIT_OK;
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** True for failures the SDK raises; other exceptions are bugs and propagate. */
  static boolean isSdkFailure(Throwable t) {
    return unwrap(t) instanceof SluiceException;
  }
}
