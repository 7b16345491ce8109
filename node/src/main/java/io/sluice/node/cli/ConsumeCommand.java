package io.sluice.node.cli;

import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRebalanceListener;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.OffsetResetPolicy;
import java.io.UncheckedIOException;
import java.util.Collection;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice consume}: prints records of a topic to standard output, each partition in offset
 * order.
 *
 * <p>Without {@code --follow} it prints the records that existed when it started (up to the end
 * offsets observed then) and stops; with {@code --follow} it keeps waiting for new records.
 */
@Command(
    name = "consume",
    mixinStandardHelpOptions = true,
    description = {
      "Print records of a topic, one per line (by default just the value).",
      "Starts at the end of each partition unless --from-beginning or --offset is given.",
      "Without --follow, stops once every partition is read up to the end offsets seen at start.",
      "With --group G: joins consumer group G and reads the partitions the group assigns, starting at the",
      "group's committed offsets (--from-beginning: the log start where G has none, else the end). It commits",
      "the offsets of what it printed (after each flush, on rebalance and on exit) and runs until",
      "interrupted, --max-records, or --timeout-ms without a new record. Records printed but not yet",
      "committed when a partition moves may be printed again by its next owner (at-least-once)."
    })
final class ConsumeCommand implements Callable<Integer> {

  /** Without --follow and without --timeout-ms: how long to wait with no progress at all. */
  static final long DRAIN_IDLE_TIMEOUT_MS = 30_000;

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  private static final long FOLLOW_FLUSH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final int OUTPUT_BUFFER_BYTES = 256 * 1024;

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to read.")
  String topic;

  @Option(
      names = "--group",
      paramLabel = "GROUP",
      description = "Consume as a member of this consumer group (see above).")
  String group;

  @Option(
      names = "--partition",
      paramLabel = "P",
      description = "Read only this partition (default: all).")
  Integer partition;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  StartPosition start;

  static final class StartPosition {
    @Option(
        names = "--from-beginning",
        required = true,
        description = "Start at each partition's log start offset.")
    boolean fromBeginning;

    @Option(
        names = "--offset",
        required = true,
        paramLabel = "N",
        description = "Start every partition read at this offset.")
    Long offset;
  }

  @Option(
      names = "--max-records",
      paramLabel = "N",
      description = "Stop after printing this many records.")
  Long maxRecords;

  @Option(
      names = "--follow",
      description = "Keep waiting for new records (until --max-records or --timeout-ms).")
  boolean follow;

  @Option(
      names = "--timeout-ms",
      paramLabel = "MS",
      description = {
        "With --follow: stop after this many milliseconds with no new record (default: never).",
        "Without --follow: fail after this long with no progress (default: "
            + DRAIN_IDLE_TIMEOUT_MS
            + ")."
      })
  Long timeoutMs;

  @Option(
      names = "--format",
      defaultValue = RecordTemplate.DEFAULT,
      paramLabel = "TEMPLATE",
      description = {
        "How to print a record; a newline follows each (default: ${DEFAULT-VALUE}).",
        RecordTemplate.HELP_ESCAPED,
        "Example: --format '%%p:%%o %%k=%%v'. Null keys and values print as null."
      })
  String format;

  @Override
  public Integer call() {
    RecordTemplate template = template();
    validate();
    if (group != null) {
      return consumeAsGroup(template);
    }
    try (ShutdownSignal signal = ShutdownSignal.install(Duration.ofSeconds(3));
        SluiceClient sluice = client.connect(REQUEST_TIMEOUT);
        Consumer consumer = sluice.newConsumer()) {
      List<TopicPartition> partitions = partitions(consumer);
      consumer.assign(partitions);
      Map<TopicPartition, Long> startPositions = seekStart(consumer, partitions);
      DrainTracker<TopicPartition> tracker = null;
      if (!follow) {
        tracker = new DrainTracker<>(startPositions, endOffsets(consumer, partitions));
        noteNothingToRead(tracker);
      }
      OutputStream out = new BufferedOutputStream(SluiceCli.io(spec).out(), OUTPUT_BUFFER_BYTES);
      return printRecords(consumer, partitions, tracker, template, out, signal);
    }
  }

  /** {@code --group}: the group assigns the partitions; commits exactly what was printed. */
  private int consumeAsGroup(RecordTemplate template) {
    if (partition != null || (start != null && start.offset != null)) {
      throw new ParameterException(spec.commandLine(), "--group cannot be combined with --partition or --offset"
          + " (the group assigns partitions and starts them at its committed offsets)");
    }
    ConsumerConfig config;
    try {
      config = ConsumerConfig.builder().groupId(group).clientId("sluice-cli").enableAutoCommit(false)
          .offsetResetPolicy(start != null && start.fromBeginning ? OffsetResetPolicy.EARLIEST : OffsetResetPolicy.LATEST)
          .build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--group: " + e.getMessage());
    }
    OutputStream out = new BufferedOutputStream(SluiceCli.io(spec).out(), OUTPUT_BUFFER_BYTES);
    Map<TopicPartition, OffsetAndMetadata> printed = new LinkedHashMap<>();
    try (ShutdownSignal signal = ShutdownSignal.install(Duration.ofSeconds(3));
        SluiceClient sluice = client.connect(REQUEST_TIMEOUT);
        Consumer consumer = sluice.newConsumer(config)) {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          // Still the old generation: what was printed of these partitions is committed now.
          commitPrinted(consumer, out, printed, partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {}
      });
      long idleTimeoutNanos = timeoutMs == null ? 0 : TimeUnit.MILLISECONDS.toNanos(timeoutMs);
      long count = 0;
      long lastProgress = System.nanoTime();
      while (!signal.requested() && (maxRecords == null || count < maxRecords)) {
        List<ConsumerRecord> records = consumer.poll(POLL_TIMEOUT);
        for (ConsumerRecord r : records) {
          if (maxRecords != null && count >= maxRecords) {
            break;
          }
          template.render(r.topic(), r.partition(), r.offset(), r.timestampMs(), r.key(), r.value(), out);
          printed.put(new TopicPartition(r.topic(), r.partition()), OffsetAndMetadata.of(r.offset() + 1));
          count++;
        }
        if (!records.isEmpty()) {
          lastProgress = System.nanoTime();
          commitPrinted(consumer, out, printed, consumer.assignment());
        } else if (idleTimeoutNanos > 0 && System.nanoTime() - lastProgress >= idleTimeoutNanos) {
          break;
        }
      }
      commitPrinted(consumer, out, printed, consumer.assignment());
      return SluiceCli.EXIT_OK;
    } catch (UncheckedIOException e) {
      if (isBrokenPipe(e.getCause())) {
        return SluiceCli.EXIT_OK; // the reader went away; nothing more was printed, nothing more committed
      }
      throw new CliException("writing to standard output failed: " + CliErrors.describe(e.getCause()), e);
    } catch (IOException e) {
      if (isBrokenPipe(e)) {
        return SluiceCli.EXIT_OK;
      }
      throw new CliException("writing to standard output failed: " + CliErrors.describe(e), e);
    }
  }

  /** Flushes the output, then commits the printed offsets of {@code partitions} (fenced commits are reported). */
  private void commitPrinted(Consumer consumer, OutputStream out, Map<TopicPartition, OffsetAndMetadata> printed,
      Collection<TopicPartition> partitions) {
    try {
      out.flush(); // never commit what has not reached the output
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<TopicPartition, OffsetAndMetadata> commit = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndMetadata o = printed.remove(tp);
      if (o != null) {
        commit.put(tp, o);
      }
    }
    if (commit.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(commit);
    } catch (CommitFailedException e) {
      spec.commandLine().getErr().println("sluice: warning: the group rebalanced before the commit of "
          + commit.keySet() + "; their next owner may print the last records again (" + e.getMessage() + ")");
    } catch (io.sluice.client.SluiceException e) {
      if (!e.retriable() && !(e instanceof io.sluice.client.IndeterminateException)) {
        throw e;
      }
      // Not known to be committed: keep the offsets to commit with the next batch.
      commit.forEach(printed::putIfAbsent);
    }
  }

  private RecordTemplate template() {
    try {
      return RecordTemplate.parse(format);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private void validate() {
    if (partition != null) {
      Validate.notNegative(spec, "--partition", partition);
    }
    if (start != null && start.offset != null) {
      Validate.notNegative(spec, "--offset", start.offset);
    }
    if (maxRecords != null) {
      Validate.positive(spec, "--max-records", maxRecords);
    }
    if (timeoutMs != null) {
      Validate.positive(spec, "--timeout-ms", timeoutMs);
    }
  }

  private List<TopicPartition> partitions(Consumer consumer) {
    List<TopicPartition> all = new ArrayList<>(consumer.partitionsFor(topic));
    all.sort(Comparator.comparingInt(TopicPartition::partition));
    if (partition == null) {
      return all;
    }
    for (TopicPartition candidate : all) {
      if (candidate.partition() == partition) {
        return List.of(candidate);
      }
    }
    throw new CliException(
        "topic '" + topic + "' has no partition " + partition + " (it has " + all.size() + ")");
  }

  private Map<TopicPartition, Long> seekStart(Consumer consumer, List<TopicPartition> partitions) {
    if (start != null && start.fromBeginning) {
      consumer.seekToBeginning(partitions);
    } else if (start != null && start.offset != null) {
      partitions.forEach(tp -> consumer.seek(tp, start.offset));
    } else {
      consumer.seekToEnd(partitions);
    }
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    partitions.forEach(tp -> positions.put(tp, consumer.position(tp)));
    return positions;
  }

  /** End offsets in partition order, so that messages list partitions in order. */
  private static Map<TopicPartition, Long> endOffsets(
      Consumer consumer, List<TopicPartition> partitions) {
    Map<TopicPartition, Long> unordered = consumer.endOffsets(partitions);
    Map<TopicPartition, Long> ordered = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      Long end = unordered.get(tp);
      if (end == null) {
        throw new CliException("the cluster returned no end offset for " + name(tp));
      }
      ordered.put(tp, end);
    }
    return ordered;
  }

  private void noteNothingToRead(DrainTracker<TopicPartition> tracker) {
    if (start == null && tracker.drained()) {
      spec.commandLine()
          .getErr()
          .println(
              "sluice: note: started at the end of the log without --follow, so there is"
                  + " nothing to read; use --from-beginning, --offset N or --follow");
    }
  }

  private int printRecords(
      Consumer consumer,
      List<TopicPartition> partitions,
      DrainTracker<TopicPartition> tracker,
      RecordTemplate template,
      OutputStream out,
      ShutdownSignal signal) {
    try {
      loop(consumer, partitions, tracker, template, out, signal);
      out.flush();
      return SluiceCli.EXIT_OK;
    } catch (RuntimeException e) {
      // Records already printed must reach the output even when a later fetch fails.
      flushQuietly(out);
      throw e;
    } catch (IOException e) {
      if (isBrokenPipe(e)) {
        // The reader went away (e.g. `| head`): that ends the output, it is not a failure.
        return SluiceCli.EXIT_OK;
      }
      throw new CliException("writing to standard output failed: " + CliErrors.describe(e), e);
    }
  }

  private void loop(
      Consumer consumer,
      List<TopicPartition> partitions,
      DrainTracker<TopicPartition> tracker,
      RecordTemplate template,
      OutputStream out,
      ShutdownSignal signal)
      throws IOException {
    long idleTimeoutMs = timeoutMs != null ? timeoutMs : (follow ? 0 : DRAIN_IDLE_TIMEOUT_MS);
    long printed = 0;
    long lastProgressNanos = System.nanoTime();
    long lastFlushNanos = lastProgressNanos;
    while (!signal.requested()
        && (tracker == null || !tracker.drained())
        && (maxRecords == null || printed < maxRecords)) {
      List<ConsumerRecord> records = consumer.poll(POLL_TIMEOUT);
      boolean progressed = false;
      for (ConsumerRecord record : records) {
        if (maxRecords != null && printed >= maxRecords) {
          break;
        }
        if (tracker != null
            && !tracker.include(
                new TopicPartition(record.topic(), record.partition()), record.offset())) {
          continue;
        }
        template.render(
            record.topic(),
            record.partition(),
            record.offset(),
            record.timestampMs(),
            record.key(),
            record.value(),
            out);
        printed++;
        progressed = true;
      }
      if (tracker != null) {
        for (TopicPartition tp : partitions) {
          progressed |= tracker.observe(tp, consumer.position(tp));
        }
      }
      long now = System.nanoTime();
      if (progressed) {
        lastProgressNanos = now;
      } else if (idleTimeoutMs > 0
          && now - lastProgressNanos >= TimeUnit.MILLISECONDS.toNanos(idleTimeoutMs)) {
        if (tracker == null) {
          break; // following, and nothing new for the whole timeout: done
        }
        out.flush();
        throw new CliException(
            "no progress for "
                + idleTimeoutMs
                + " ms; partitions not read to the end: "
                + tracker.describeRemaining(ConsumeCommand::name));
      }
      if (tracker == null
          && (records.isEmpty() || now - lastFlushNanos >= FOLLOW_FLUSH_INTERVAL_NANOS)) {
        out.flush();
        lastFlushNanos = now;
      }
    }
  }

  private static void flushQuietly(OutputStream out) {
    try {
      out.flush();
    } catch (IOException ignored) {
      // The failure being reported matters more than a closed output.
    }
  }

  static String name(TopicPartition tp) {
    return tp.topic() + "-" + tp.partition();
  }

  static boolean isBrokenPipe(IOException e) {
    String message = e.getMessage();
    return message != null && message.toLowerCase(java.util.Locale.ROOT).contains("broken pipe");
  }
}
