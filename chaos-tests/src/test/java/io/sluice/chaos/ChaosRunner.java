package io.sluice.chaos;

import io.sluice.chaos.checker.Checker;
import io.sluice.chaos.checker.CheckerOptions;
import io.sluice.chaos.checker.Verdict;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryReader;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.report.RunReport;
import io.sluice.chaos.workload.Workload;
import io.sluice.chaos.workload.WorkloadConfig;
import io.sluice.client.SluiceClient;
import io.sluice.testcontainers.SluiceCluster;
import io.sluice.testcontainers.SluiceClusterNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Runs one scenario with one seed: a cluster in containers, the chaos workload (module
 * chaos-workload), a fault schedule drawn from the seed for {@code faultSeconds}, the heal, final
 * reads from every node, the checker (module chaos-checker). Writes {@code history.jsonl},
 * {@code verdict.json}, {@code report.html}, {@code faults.txt} and each node's log under
 * {@code <out>/<scenario>-<seed>/}. Single-threaded (the workload has its own threads).
 */
final class ChaosRunner {
  static final int PARTITIONS = 4;
  /** The node that runs under libfaketime in scenarios with clock skew. */
  static final String CLOCK_NODE = "n1";
  private static final int FAULT_S_MIN = 4;
  private static final int FAULT_S_MAX = 10;
  private static final int CALM_S_MIN = 2;
  private static final int CALM_S_MAX = 6;
  private static final int FAULTS_MAX = 1000;
  /** Writes go on this long after the heal, so that the checker sees the cluster recover. */
  private static final Duration AFTER_HEAL = Duration.ofSeconds(10);
  /** Liveness: after the last heal a write must be acknowledged within this (a loaded 2-core machine). */
  static final Duration RECOVERY_TIME_MAX = Duration.ofSeconds(60);

  record Result(Path dir, Verdict verdict) {}

  static Result run(Scenario scenario, long seed, int faultSeconds, Path outRoot, String reproduce) throws Exception {
    Path dir = outRoot.resolve(scenario.name() + "-" + seed);
    deleteQuietly(dir); // a rerun of the same seed replaces the earlier run's files
    Files.createDirectories(dir);
    Path clockDir = Files.createDirectories(dir.resolve("faketime"));
    StringBuilder faults = new StringBuilder();
    log(faults, "scenario " + scenario.name() + " seed " + seed + ", " + scenario.nodes() + " nodes, "
        + faultSeconds + " s of faults");
    Random random = new Random(seed);
    SluiceCluster.Builder builder = SluiceCluster.builder().nodes(scenario.nodes())
        .env("SLUICE_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1")
        .nodeConfig("raft.election.timeout.min.ms", "2000").nodeConfig("raft.election.timeout.max.ms", "4000");
    if (scenario.tls()) {
      builder.tls(true); // client certificates required, mutual TLS between nodes
    }
    if (scenario.usesClock()) {
      // libfaketime slows a JVM down a lot (README, "Clock skew"), so only n1 runs under it: the
      // node whose wall clock the clock nemesis moves. FAKETIME_DONT_FAKE_MONOTONIC: Raft's timers
      // and the JVM itself run on the monotonic clock, which stays real (without it the JVM hangs).
      Nemesis.ClockSkew.write(clockDir, CLOCK_NODE, "+0");
      builder.bind(CLOCK_NODE, clockDir.resolve(CLOCK_NODE).toString(), "/faketime")
          .env(CLOCK_NODE, "LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
          .env(CLOCK_NODE, "FAKETIME_TIMESTAMP_FILE", "/faketime/rc")
          .env(CLOCK_NODE, "FAKETIME_CACHE_DURATION", "1")
          .env(CLOCK_NODE, "FAKETIME_DONT_FAKE_MONOTONIC", "1")
          .startupTimeout(Duration.ofMinutes(5));
    }
    long startNs = System.nanoTime();
    Path historyFile = dir.resolve(RunReport.HISTORY_FILE);
    SluiceCluster cluster = builder.dataRoot(Files.createTempDirectory("sluice-chaos-")).build();
    try (HistoryWriter history = HistoryWriter.create(historyFile)) {
      cluster.start();
      log(faults, "cluster up in " + secondsSince(startNs) + " s: " + cluster.bootstrap());
      Map<String, String> addresses = new LinkedHashMap<>();
      cluster.nodes().forEach(n -> addresses.put(n.id(), n.clientAddress()));
      WorkloadConfig.Builder workloadConfig = WorkloadConfig.builder(cluster.bootstrap()).partitions(PARTITIONS)
          .producers(3).atomicWriters(1).consumers(2).groupConsumers(2).seed(seed).nodeAddresses(addresses);
      SluiceClient.Builder adminBuilder = SluiceClient.builder().bootstrap(cluster.bootstrap())
          .requestTimeout(Duration.ofSeconds(5));
      if (cluster.tls()) {
        WorkloadConfig.Tls tls = new WorkloadConfig.Tls(cluster.tlsDir().resolve("ca.crt"),
            cluster.tlsDir().resolve("client.crt"), cluster.tlsDir().resolve("client.key"));
        workloadConfig.tls(tls.caPem(), tls.certPem(), tls.keyPem());
        tls.apply(adminBuilder);
        log(faults, "TLS on: clients present " + tls.certPem() + ", nodes use mutual TLS");
      }
      WorkloadConfig config = workloadConfig.build();
      try (Workload workload = new Workload(config, history);
           SluiceClient admin = adminBuilder.build()) {
        workload.setUp();
        workload.start();
        runFaults(scenario, faultSeconds, random, new Nemesis.Env(cluster, admin, clockDir), history, faults);
        cluster.awaitReady(Duration.ofMinutes(2));
        Thread.sleep(AFTER_HEAL.toMillis());
        long left = workload.stop();
        log(faults, "workload stopped (" + left + " operations left outstanding); final reads");
        workload.finalReads();
      }
    } finally {
      for (SluiceClusterNode node : cluster.nodes()) {
        try {
          Files.writeString(dir.resolve(node.id() + ".log"), node.logs());
        } catch (RuntimeException | IOException e) {
          log(faults, "no log for " + node.id() + ": " + e);
        }
      }
      cluster.close();
      deleteQuietly(cluster.dataRoot());
      Files.writeString(dir.resolve("faults.txt"), faults);
    }
    History history = HistoryReader.read(historyFile);
    Verdict verdict = new Checker(CheckerOptions.defaults().withRecoveryTimeMax(RECOVERY_TIME_MAX)).check(history);
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("scenario", scenario.name() + " (" + scenario.nodes() + " nodes)");
    facts.put("seed", Long.toString(seed));
    facts.put("faults", faultSeconds + " s of " + scenario.kinds());
    facts.put("reproduce", reproduce);
    RunReport.write(dir, "chaos " + scenario.name() + " seed " + seed, facts, historyFile, history, verdict);
    log(faults, "checked in " + secondsSince(startNs) + " s total: valid=" + verdict.valid() + " stats="
        + verdict.stats());
    Files.writeString(dir.resolve("faults.txt"), faults);
    return new Result(dir, verdict);
  }

  private static void runFaults(Scenario scenario, int faultSeconds, Random random, Nemesis.Env env,
      HistoryWriter history, StringBuilder faults) throws InterruptedException {
    List<Nemesis> nemeses = scenario.nemeses().stream().map(s -> s.get()).toList();
    long faultEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(faultSeconds);
    Thread.sleep(3000); // the workload gets going first
    for (int n = 1; System.nanoTime() < faultEnd && n <= FAULTS_MAX; n++) {
      Nemesis nemesis = nemeses.get(random.nextInt(nemeses.size()));
      String id = "f" + n;
      int holdS = FAULT_S_MIN + random.nextInt(FAULT_S_MAX - FAULT_S_MIN + 1);
      Nemesis.Active active = nemesis.start(env, random);
      history.nemesisStart(id, nemesis.kind(), active.description(), active.nodes());
      log(faults, id + " start " + nemesis.kind() + ": " + active.description() + " (for " + holdS + " s)");
      Thread.sleep(holdS * 1000L);
      active.heal().run();
      history.nemesisEnd(id, nemesis.kind(), active.healDescription(), active.nodes());
      log(faults, id + " end: " + active.healDescription());
      env.cluster().awaitReady(Duration.ofMinutes(2));
      Thread.sleep((CALM_S_MIN + random.nextInt(CALM_S_MAX - CALM_S_MIN + 1)) * 1000L);
    }
    log(faults, "faults over");
  }

  private static void deleteQuietly(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory or an earlier run's output
    }
  }

  private static long secondsSince(long startNs) {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs);
  }

  private static void log(StringBuilder faults, String line) {
    String l = Instant.now() + " " + line;
    faults.append(l).append('\n');
    System.out.println("chaos: " + l);
  }
}
