package io.sluice.node.cli;

import io.sluice.chaos.checker.CheckerOptions;
import io.sluice.chaos.workload.Verify;
import io.sluice.chaos.workload.WorkloadConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice verify}: runs the chaos workload against a running cluster for a while (the user
 * causes whatever faults they like meanwhile), reads every partition back from every node, checks
 * the history and prints the JSON verdict. Exit 0 when valid, 1 otherwise.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Run producers, atomic writers, consumers and a consumer group against a running cluster on a fresh topic for"
          + " --duration (cause faults meanwhile: kill, pause or partition nodes), then read every"
          + " partition from every node and check that no acknowledged record was lost, duplicated"
          + " or reordered. Prints the JSON verdict; writes history, verdict and an HTML report to --out.",
      "Exits 0 when valid, 1 when anomalies were found or the run failed."
    })
final class VerifyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;
  @Mixin ClientOptions client;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
      description = "How long the clients run (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--topic", paramLabel = "TOPIC",
      description = "Topic to create for the run; must not exist (default: verify-SEED-MILLIS).")
  String topic;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "3",
      description = "Partitions of the topic (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--producers", paramLabel = "N", defaultValue = "2",
      description = "Producer clients, keyed and explicit partitions (default: ${DEFAULT-VALUE}).")
  int producers;

  @Option(names = "--atomic-writers", paramLabel = "N", defaultValue = "1",
      description = "Clients writing 2-3 partitions in one atomic request (default: ${DEFAULT-VALUE}).")
  int atomicWriters;

  @Option(names = "--sdk-atomic-writers", paramLabel = "N", defaultValue = "1",
      description = "Clients writing 2-3 partitions atomically through the SDK's sendAtomically (default: ${DEFAULT-VALUE}).")
  int sdkAtomicWriters;

  @Option(names = "--consumers", paramLabel = "N", defaultValue = "2",
      description = "Consumer clients reading every partition, streaming and polling (default: ${DEFAULT-VALUE}).")
  int consumers;

  @Option(names = "--group-consumers", paramLabel = "N", defaultValue = "2",
      description = "Consumer clients in one consumer group, committing their offsets (default: ${DEFAULT-VALUE}).")
  int groupConsumers;

  @Option(names = "--rate", paramLabel = "N", defaultValue = "100",
      description = "Sends per second per producer (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--seed", paramLabel = "S",
      description = "Seed of every random choice (default: random, printed).")
  Long seed;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Where to write history.jsonl, verdict.json, report.html (default: sluice-verify-SEED).")
  Path out;

  @Option(names = "--recovery-time-max", paramLabel = "DURATION", defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Writes must be acknowledged within this of the start (default: ${DEFAULT-VALUE}).")
  Duration recoveryTimeMax;

  @Option(names = "--settle-timeout", paramLabel = "DURATION", defaultValue = "60s",
      converter = DurationConverter.class,
      description = "After the clients stop: wait this long at most for outstanding operations and for"
          + " every node to catch up before the final reads (default: ${DEFAULT-VALUE}).")
  Duration settleTimeout;

  @Option(names = "--node-address", paramLabel = "ID=HOST:PORT",
      description = "Reach node ID at HOST:PORT for the final reads and atomic writes, when the address"
          + " it advertises is not reachable from here (repeatable).")
  Map<String, String> nodeAddresses = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    long runSeed = seed != null ? seed : new SecureRandom().nextLong() & Long.MAX_VALUE;
    WorkloadConfig config = config(runSeed);
    Path dir = out != null ? out : Path.of("sluice-verify-" + Long.toString(runSeed));
    String reproduce = reproduce(runSeed, dir);
    PrintWriter err = spec.commandLine().getErr();
    err.println("verify: seed=" + Long.toString(runSeed) + " topic=" + config.topic() + " duration="
        + duration + " out=" + dir);
    err.println("verify: reproduce with: " + reproduce);
    Verify.Result result;
    try {
      result = Verify.run(config, duration, dir, new CheckerOptions(recoveryTimeMax,
          CheckerOptions.DEFAULT_EXAMPLES_PER_KIND_MAX), reproduce);
    } catch (IllegalStateException e) {
      throw new CliException(e.getMessage(), e);
    }
    spec.commandLine().getOut().println(result.verdict().toPrettyJson());
    err.println("report: " + result.reportFile());
    err.println(CheckHistoryCommand.summary(result.verdict()) + " (seed=" + Long.toString(runSeed) + ")");
    return result.verdict().valid() ? SluiceCli.EXIT_OK : SluiceCli.EXIT_FAILED;
  }

  private WorkloadConfig config(long runSeed) {
    try {
      WorkloadConfig.Builder builder = WorkloadConfig.builder(String.join(",", client.bootstrap.addresses()))
          .partitions(partitions)
          .producers(producers)
          .atomicWriters(atomicWriters)
          .sdkAtomicWriters(sdkAtomicWriters)
          .consumers(consumers)
          .groupConsumers(groupConsumers)
          .producerRatePerSecond(rate)
          .seed(runSeed)
          .settleTimeout(settleTimeout)
          .nodeAddresses(nodeAddresses);
      client.checkTls();
      if (client.tlsEnabled()) {
        if (client.tlsCa == null) {
          throw new ParameterException(spec.commandLine(), "verify over TLS needs --tls-ca (the CA of the nodes)");
        }
        builder.tls(client.tlsCa, client.tlsCert, client.tlsKey);
      }
      if (topic != null) {
        String problem = io.sluice.protocol.TopicNames.problem(topic);
        if (problem != null) {
          throw new ParameterException(spec.commandLine(), "--topic: " + problem);
        }
        builder.topic(topic);
      }
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  private String reproduce(long runSeed, Path dir) {
    StringBuilder line = new StringBuilder("sluice verify --bootstrap ")
        .append(String.join(",", client.bootstrap.addresses()))
        .append(" --duration ").append(duration.toSeconds()).append('s')
        .append(" --partitions ").append(partitions)
        .append(" --producers ").append(producers)
        .append(" --atomic-writers ").append(atomicWriters)
        .append(" --sdk-atomic-writers ").append(sdkAtomicWriters)
        .append(" --consumers ").append(consumers)
        .append(" --group-consumers ").append(groupConsumers)
        .append(" --rate ").append(rate)
        .append(" --seed ").append(Long.toString(runSeed))
        .append(" --out ").append(dir);
    nodeAddresses.forEach((id, address) -> line.append(" --node-address ").append(id).append('=').append(address));
    if (client.tlsCa != null) {
      line.append(" --tls-ca ").append(client.tlsCa);
    }
    if (client.tlsCert != null) {
      line.append(" --tls-cert ").append(client.tlsCert).append(" --tls-key ").append(client.tlsKey);
    }
    return line.toString();
  }
}
