package io.sluice.node.cli;

import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicInfo;
import io.sluice.protocol.CompressionType;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice produce}: one record per line of standard input, sent asynchronously through one
 * producer, then a summary on standard error. Exit 0 only when every record was acknowledged.
 */
@Command(
    name = "produce",
    mixinStandardHelpOptions = true,
    description = {
      "Send each line of standard input (UTF-8, without its line ending) as one record.",
      "Prints records=N acked=A failed=F seconds=S records/s=R to standard error;"
          + " exits 0 only if every record was acknowledged."
    })
final class ProduceCommand implements Callable<Integer> {

  /** Bound on looking the topic up before sending. */
  private static final long METADATA_TIMEOUT_MS = 10_000;

  /** Slack on top of the delivery timeout before giving up on completions that never came. */
  private static final Duration COMPLETION_SLACK = Duration.ofSeconds(10);

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(
      names = "--topic",
      required = true,
      paramLabel = "TOPIC",
      description = "Topic to write to.")
  String topic;

  @Option(
      names = "--partition",
      paramLabel = "P",
      description = "Write every record to this partition (default: by key; no key: sticky).")
  Integer partition;

  @Option(
      names = "--key-separator",
      paramLabel = "SEP",
      description =
          "Split each line at the first SEP into key and value; lines without SEP get a null key.")
  String keySeparator;

  @Option(
      names = "--linger-ms",
      paramLabel = "MS",
      defaultValue = "5",
      description = "How long a batch waits for more records (default: ${DEFAULT-VALUE}).")
  long lingerMs;

  @Option(
      names = "--batch-bytes",
      paramLabel = "BYTES",
      defaultValue = "65536",
      description = "Largest batch per partition, in bytes (default: ${DEFAULT-VALUE}).")
  int batchBytes;

  @Option(
      names = "--buffer-bytes",
      paramLabel = "BYTES",
      defaultValue = "33554432",
      description =
          "Bytes of records waiting to be sent; reading pauses when full (default:"
              + " ${DEFAULT-VALUE}).")
  long bufferBytes;

  @Option(
      names = "--compression",
      paramLabel = "CODEC",
      defaultValue = "none",
      description =
          "Compress each batch: none, lz4 or zstd (default: ${DEFAULT-VALUE}). Consumers"
              + " decompress transparently.")
  String compression;

  @Option(
      names = "--max-in-flight-batches",
      paramLabel = "N",
      defaultValue = "5",
      description =
          "Batches of one partition in flight at once, 1 to 5; order is kept either way"
              + " (default: ${DEFAULT-VALUE}).")
  int maxInFlightBatches;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      defaultValue = "30000",
      description =
          "Delivery timeout per record, retries included, in milliseconds (default:"
              + " ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() {
    KeySplitter splitter = keySplitter();
    validate();
    try (SluiceClient sluice = client.connect(Duration.ofMillis(METADATA_TIMEOUT_MS))) {
      checkTopic(sluice);
      Producer producer = sluice.newProducer(producerConfig());
      LineProducer.Summary summary;
      try {
        LineProducer lines =
            new LineProducer(
                sender(producer), splitter, Duration.ofMillis(timeoutMs).plus(COMPLETION_SLACK));
        summary = lines.run(new LineReader(SluiceCli.io(spec).in()));
      } finally {
        // Everything has completed or been given up on; do not wait again.
        producer.close(Duration.ofSeconds(1));
      }
      return report(summary, spec.commandLine().getErr());
    }
  }

  /** Prints the summary and any error; returns the exit code. */
  static int report(LineProducer.Summary summary, PrintWriter err) {
    err.println(summary.line());
    if (summary.inputError() != null) {
      err.println(CliErrors.PREFIX + summary.inputError());
    }
    if (summary.notAcked() > 0) {
      String first =
          summary.firstFailure() == null
              ? "no answer within the delivery timeout"
              : CliErrors.describe(summary.firstFailure());
      err.printf(
          "%s%d of %d records were not acknowledged (first failure: %s)%n",
          CliErrors.PREFIX, summary.notAcked(), summary.records(), first);
    }
    err.flush();
    return summary.allAcked() ? SluiceCli.EXIT_OK : SluiceCli.EXIT_FAILED;
  }

  private KeySplitter keySplitter() {
    if (keySeparator == null) {
      return null;
    }
    if (keySeparator.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "--key-separator must not be empty");
    }
    return new KeySplitter(keySeparator.getBytes(StandardCharsets.UTF_8));
  }

  private void validate() {
    if (partition != null) {
      Validate.notNegative(spec, "--partition", partition);
    }
    Validate.notNegative(spec, "--linger-ms", lingerMs);
    Validate.positive(spec, "--batch-bytes", batchBytes);
    Validate.positive(spec, "--buffer-bytes", bufferBytes);
    Validate.positive(spec, "--timeout-ms", timeoutMs);
    compressionType();
    if (maxInFlightBatches < 1 || maxInFlightBatches > ProducerConfig.MAX_IN_FLIGHT_BATCHES_MAX) {
      throw new ParameterException(spec.commandLine(), "--max-in-flight-batches must be in [1, "
          + ProducerConfig.MAX_IN_FLIGHT_BATCHES_MAX + "], got " + maxInFlightBatches);
    }
  }

  private CompressionType compressionType() {
    try {
      return CompressionType.parse(compression);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--compression: " + e.getMessage());
    }
  }

  /** Fails fast, before reading any input, on a missing topic or partition. */
  private void checkTopic(SluiceClient sluice) {
    TopicInfo info =
        Await.get(
            sluice.admin().describeTopic(topic),
            METADATA_TIMEOUT_MS,
            "looking up topic '" + topic + "'");
    int partitions = info.partitions().size();
    if (partition != null && partition >= partitions) {
      throw new CliException(
          "topic '" + topic + "' has no partition " + partition + " (it has " + partitions + ")");
    }
  }

  private ProducerConfig producerConfig() {
    return ProducerConfig.builder()
        .linger(Duration.ofMillis(lingerMs))
        .batchSizeBytesMax(batchBytes)
        .bufferBytesMax(bufferBytes)
        .deliveryTimeout(Duration.ofMillis(timeoutMs))
        .compression(compressionType())
        .maxInFlightBatches(maxInFlightBatches)
        .build();
  }

  private LineProducer.Sender sender(Producer producer) {
    return new LineProducer.Sender() {
      @Override
      public java.util.concurrent.CompletableFuture<?> send(byte[] key, byte[] value) {
        return producer.send(new ProducerRecord(topic, partition, key, value, null, List.of()));
      }

      @Override
      public void flush() {
        producer.flush();
      }
    };
  }
}
