package io.sluice.node.cli;

import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice bench consume}: like Kafka's {@code ConsumerPerformance}. One consumer reads every
 * partition of the topic from its start, up to {@code --records} records (warm-up excluded) or up
 * to the end offsets seen when it started, whichever comes first. Reports throughput only (the
 * latency fields are null).
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {
      "Consume throughput of one consumer reading from the beginning (like Kafka's ConsumerPerformance).",
      "Stops after --records or at the end offsets seen at start. Progress on stderr; result on stdout."
    })
final class BenchConsumeCommand implements Callable<Integer> {

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin BenchCommand.Common common;

  @Option(
      names = "--fetch-bytes",
      paramLabel = "BYTES",
      defaultValue = "4194304",
      description = "Largest fetch (or stream push) per request (default: ${DEFAULT-VALUE}).")
  int fetchBytes;

  @Option(
      names = "--no-streaming",
      description = "Long-poll Fetch instead of the streaming Subscribe.")
  boolean noStreaming;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      defaultValue = "30000",
      description = "Fail after this long without a new record (default: ${DEFAULT-VALUE}).")
  long timeoutMs;

  @Override
  public Integer call() {
    common.validate(spec);
    Validate.positive(spec, "--fetch-bytes", fetchBytes);
    Validate.positive(spec, "--timeout-ms", timeoutMs);
    ConsumerConfig config = ConsumerConfig.builder()
        .fetchMaxBytes(fetchBytes)
        .partitionFetchMaxBytes(Math.min(fetchBytes, ConsumerConfig.DEFAULT_PARTITION_FETCH_MAX_BYTES))
        .streaming(!noStreaming)
        .build();
    try (SluiceClient sluice = client.connect(REQUEST_TIMEOUT);
        Consumer consumer = sluice.newConsumer(config)) {
      BenchCommand.ensureTopic(sluice, common.topic, null, REQUEST_TIMEOUT.toMillis());
      List<TopicPartition> partitions = consumer.partitionsFor(common.topic);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long available = 0;
      for (TopicPartition tp : partitions) {
        available += ends.get(tp) - consumer.position(tp);
      }
      if (available <= common.warmupRecords) {
        throw new CliException("topic '" + common.topic + "' holds " + available
            + " records, not more than --warmup-records; produce some first (sluice bench produce)");
      }
      return read(consumer, Math.min(common.recordsBound(), available - common.warmupRecords));
    }
  }

  private int read(Consumer consumer, long wanted) {
    long warmupLeft = common.warmupRecords;
    while (warmupLeft > 0) {
      List<ConsumerRecord> records = poll(consumer, Long.MAX_VALUE);
      if (records.size() > warmupLeft) {
        giveBack(consumer, records.subList((int) warmupLeft, records.size()));
      }
      warmupLeft -= Math.min(warmupLeft, records.size());
    }
    long startNanos = System.nanoTime();
    long deadlineNanos = common.deadlineNanos(startNanos);
    BenchStats stats = new BenchStats(false, startNanos);
    try (BenchCommand.Progress progress =
        new BenchCommand.Progress(stats, "read", common.progressMs, spec.commandLine().getErr())) {
      while (stats.records() < wanted && System.nanoTime() < deadlineNanos) {
        List<ConsumerRecord> records = poll(consumer, wanted - stats.records());
        long bytes = 0;
        for (ConsumerRecord r : records) {
          bytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        }
        stats.recordRead(records.size(), bytes);
      }
    }
    return BenchCommand.report(spec, "consume", common.json, stats.finish(System.nanoTime()), null);
  }

  /**
   * Seeks each partition of {@code rest} back to its first record there, so the measured part reads
   * again what the warm-up's last poll returned beyond --warmup-records (a poll returns a partition's
   * records in offset order).
   */
  private static void giveBack(Consumer consumer, List<ConsumerRecord> rest) {
    Map<TopicPartition, Long> firstNotCounted = new HashMap<>();
    for (ConsumerRecord r : rest) {
      firstNotCounted.putIfAbsent(new TopicPartition(r.topic(), r.partition()), r.offset());
    }
    firstNotCounted.forEach(consumer::seek);
  }

  /** Up to {@code most} records (a poll may return more: the rest are dropped, never counted). */
  private List<ConsumerRecord> poll(Consumer consumer, long most) {
    long idleSince = System.nanoTime();
    while (true) {
      List<ConsumerRecord> records = consumer.poll(POLL_TIMEOUT);
      if (!records.isEmpty()) {
        return records.size() > most ? records.subList(0, (int) most) : records;
      }
      if (System.nanoTime() - idleSince > TimeUnit.MILLISECONDS.toNanos(timeoutMs)) {
        throw new CliException("no record for " + timeoutMs + " ms; is the cluster up?");
      }
    }
  }
}
