package io.sluice.chaos;

import io.sluice.chaos.history.HistoryReader;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.client.Consumer;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import io.sluice.testcontainers.SluiceCluster;
import io.sluice.testcontainers.SluiceClusterNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Runs one scenario with one seed: a cluster in containers, the workload, a fault schedule drawn
 * from the seed for {@code faultSeconds}, the heal, final reads from every node, the checks. Writes
 * {@code history.jsonl}, {@code verdict.json}, {@code faults.txt} and each node's log under
 * {@code <out>/<scenario>-<seed>/}. Single-threaded (the workload has its own threads).
 */
final class ChaosRunner {
  static final int PARTITIONS = 4;
  /** The node that runs under libfaketime in scenarios with clock skew. */
  static final String CLOCK_NODE = "n1";
  private static final int PRODUCERS = 3;
  private static final int FAULT_S_MIN = 4;
  private static final int FAULT_S_MAX = 10;
  private static final int CALM_S_MIN = 2;
  private static final int CALM_S_MAX = 6;
  private static final Duration AFTER_HEAL = Duration.ofSeconds(10);

  record Result(Path dir, InterimChecker.Verdict verdict, String summary) {}

  static Result run(Scenario scenario, long seed, int faultSeconds, Path outRoot) throws Exception {
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
    HistoryWriter history = HistoryWriter.create(dir.resolve("history.jsonl"));
    SluiceCluster cluster = builder.dataRoot(Files.createTempDirectory("sluice-chaos-")).build();
    InterimChecker.Verdict verdict;
    try {
      cluster.start();
      log(faults, "cluster up in " + secondsSince(startNs) + " s: " + cluster.bootstrap());
      try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.bootstrap())
          .requestTimeout(Duration.ofSeconds(5)).build()) {
        client.admin().createTopic(Workload.TOPIC, PARTITIONS, Map.of()).get(60, TimeUnit.SECONDS);
        Workload workload = new Workload(client, history, PARTITIONS, PRODUCERS, seed);
        workload.start();
        Nemesis.Env env = new Nemesis.Env(cluster, client, clockDir);
        List<Nemesis> nemeses = scenario.nemeses().stream().map(s -> s.get()).toList();
        long faultEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(faultSeconds);
        int n = 0;
        sleepS(3);
        while (System.nanoTime() < faultEnd && n < 1000) {
          Nemesis nemesis = nemeses.get(random.nextInt(nemeses.size()));
          String id = "f" + (++n);
          int holdS = FAULT_S_MIN + random.nextInt(FAULT_S_MAX - FAULT_S_MIN + 1);
          Nemesis.Active active = nemesis.start(env, random);
          history.nemesisStart(id, nemesis.kind(), active.description(), active.nodes());
          log(faults, id + " start " + nemesis.kind() + ": " + active.description() + " (for " + holdS + " s)");
          sleepS(holdS);
          active.heal().run();
          history.nemesisEnd(id, nemesis.kind(), active.healDescription(), active.nodes());
          log(faults, id + " end: " + active.healDescription());
          cluster.awaitReady(Duration.ofMinutes(2));
          sleepS(CALM_S_MIN + random.nextInt(CALM_S_MAX - CALM_S_MIN + 1));
        }
        long healNs = history.nowNs();
        log(faults, "faults over; " + workload.acked() + " sends acknowledged so far");
        Thread.sleep(AFTER_HEAL.toMillis());
        workload.stop(Duration.ofSeconds(60));
        Map<Integer, Long> ends = new HashMap<>();
        try (Consumer c = client.newConsumer()) {
          List<TopicPartition> tps = new ArrayList<>();
          for (int p = 0; p < PARTITIONS; p++) {
            tps.add(new TopicPartition(Workload.TOPIC, p));
          }
          c.endOffsets(tps).forEach((tp, end) -> ends.put(tp.partition(), end));
        }
        FinalReads.readAll(history, cluster.nodes(), PARTITIONS, ends);
        history.close();
        verdict = InterimChecker.check(HistoryReader.read(dir.resolve("history.jsonl")), healNs);
        log(faults, "checked in " + secondsSince(startNs) + " s total: " + verdict.toJson());
      }
    } finally {
      try {
        history.close();
      } catch (IOException ignored) {
        // already closed
      }
      for (SluiceClusterNode node : cluster.nodes()) {
        try {
          Files.writeString(dir.resolve(node.id() + ".log"), node.logs());
        } catch (RuntimeException | IOException e) {
          log(faults, "no log for " + node.id() + ": " + e);
        }
      }
      cluster.close();
      Path data = cluster.dataRoot();
      deleteQuietly(data);
      Files.writeString(dir.resolve("faults.txt"), faults);
    }
    Files.writeString(dir.resolve("verdict.json"), verdict.toJson() + "\n");
    return new Result(dir, verdict, faults.toString());
  }

  private static void deleteQuietly(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort: a temp directory
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

  private static void sleepS(int s) throws InterruptedException {
    Thread.sleep(s * 1000L);
  }
}
