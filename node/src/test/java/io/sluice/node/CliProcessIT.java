package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real {@code bin/sluice server} processes on loopback, driven only through the CLI, as a
 * user would: create a topic, pipe lines into produce, read them back, kill -9 the leader,
 * produce again, restart it, and check every bad-input case the CLI reports. Runs after
 * packaging (failsafe), since bin/sluice uses the packaged jar and lib/.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CliProcessIT {
  private static final Path SLUICE = Path.of("..", "bin", "sluice").toAbsolutePath().normalize();

  @TempDir
  Path tmp;

  private final Map<String, Process> servers = new LinkedHashMap<>();
  private final Map<String, List<String>> serverCommands = new LinkedHashMap<>();
  private final Map<String, HostPort> httpAddresses = new LinkedHashMap<>();
  private String bootstrap;

  record Result(int exit, String out, String err) {}

  private Result sluice(String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(SLUICE.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    if (stdin != null) {
      Path in = Files.createTempFile(tmp, "in", ".txt");
      Files.writeString(in, stdin);
      pb.redirectInput(in.toFile());
    } else {
      pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    }
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "sluice " + String.join(" ", args) + " did not finish");
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  /**
   * A port below Linux's ephemeral range (see {@link TestCluster#freePort}): the servers bind it
   * seconds later, after their JVM started, and a port from the ephemeral range (what binding port
   * 0 hands out) may meanwhile be taken by any outgoing connection on the machine.
   */
  private static int freePort() throws IOException {
    return TestCluster.freePort();
  }

  private void startServer(String id) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(serverCommands.get(id));
    if (id.equals("n3")) {
      pb.environment().put("SLUICE_LOG_FORMAT", "json"); // one node logs JSON lines
    }
    Path log = tmp.resolve(id + ".log");
    pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    servers.put(id, pb.start());
  }

  private void startCluster() throws Exception {
    Map<String, int[]> ports = new LinkedHashMap<>();
    for (int i = 1; i <= 3; i++) {
      ports.put("n" + i, new int[] {freePort(), freePort(), freePort()});
    }
    String peers = ports.entrySet().stream().map(e -> e.getKey() + "=127.0.0.1:" + e.getValue()[1])
        .collect(Collectors.joining(","));
    bootstrap = ports.values().stream().map(p -> "127.0.0.1:" + p[0]).collect(Collectors.joining(","));
    for (var e : ports.entrySet()) {
      httpAddresses.put(e.getKey(), new HostPort("127.0.0.1", e.getValue()[2]));
      serverCommands.put(e.getKey(), List.of(SLUICE.toString(), "server", "--id", e.getKey(),
          "--data-dir", tmp.resolve(e.getKey()).toString(), "--listen", "127.0.0.1:" + e.getValue()[0],
          "--raft-listen", "127.0.0.1:" + e.getValue()[1], "--http-listen", httpAddresses.get(e.getKey()).toString(),
          "--peers", peers));
      startServer(e.getKey());
    }
    awaitStatus(Duration.ofSeconds(60));
  }

  /** Waits until `cluster status` names a leader that every listed node agrees on; returns its JSON. */
  private String awaitStatus(Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Result last = null;
    while (System.nanoTime() < deadline) {
      last = sluice(null, "cluster", "status", "--json", "--bootstrap", bootstrap);
      if (last.exit() == 0 && last.out().contains("\"LEADER\"")) {
        return last.out();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no leader within " + timeout + ": " + last);
  }

  private static long leaderPid(String statusJson) {
    Matcher m = Pattern.compile("\\{[^{}]*\"role\"\\s*:\\s*\"LEADER\"[^{}]*\\}").matcher(statusJson);
    assertTrue(m.find(), statusJson);
    Matcher pid = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)").matcher(m.group());
    assertTrue(pid.find(), m.group());
    return Long.parseLong(pid.group(1));
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (Process p : servers.values()) {
      p.destroy();
    }
    for (Process p : servers.values()) {
      if (!p.waitFor(15, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static String lines(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(Integer::toString).collect(Collectors.joining("\n", "", "\n"));
  }

  @Test
  void produceConsumeKillTheLeaderAndRecover() throws Exception {
    startCluster();
    // Below 2 the JDK starts a thread for every CompletableFuture async step without an executor
    // (Ratis takes one per appendEntries): the launcher asks for at least 2, even on 2 cores.
    Matcher pool = Pattern.compile("common fork-join pool parallelism (\\d+)")
        .matcher(Files.readString(tmp.resolve("n1.log")));
    assertTrue(pool.find(), "n1.log names the common pool's parallelism");
    assertTrue(Integer.parseInt(pool.group(1)) >= 2, pool.group());
    Result created = sluice(null, "topic", "create", "orders", "--partitions", "3", "--bootstrap", bootstrap);
    assertEquals(0, created.exit(), created.toString());

    Result produced = sluice(lines(1, 5000), "produce", "--topic", "orders", "--bootstrap", bootstrap);
    assertEquals(0, produced.exit(), produced.toString());
    assertTrue(produced.err().contains("records=5000 acked=5000 failed=0"), produced.err());

    Result consumed = sluice(null, "consume", "--topic", "orders", "--from-beginning", "--max-records", "5000",
        "--bootstrap", bootstrap);
    assertEquals(0, consumed.exit(), consumed.toString());
    Set<String> values = new HashSet<>(consumed.out().lines().toList());
    assertEquals(5000, consumed.out().lines().count(), "one line per record");
    assertEquals(IntStream.rangeClosed(1, 5000).mapToObj(Integer::toString).collect(Collectors.toSet()), values);

    Result keyed = sluice("k1=a\nk2=b\n", "produce", "--topic", "orders", "--key-separator", "=",
        "--bootstrap", bootstrap);
    assertEquals(0, keyed.exit(), keyed.toString());
    Result formatted = sluice(null, "consume", "--topic", "orders", "--from-beginning", "--format", "%k|%v",
        "--bootstrap", bootstrap);
    assertEquals(0, formatted.exit(), formatted.toString());
    assertTrue(formatted.out().lines().anyMatch("k1|a"::equals), formatted.out().lines().limit(3).toList().toString());

    String status = awaitStatus(Duration.ofSeconds(60)); // each try starts a JVM: seconds on a loaded machine
    long leader = leaderPid(status);
    String leaderId = servers.entrySet().stream().filter(e -> e.getValue().pid() == leader)
        .map(Map.Entry::getKey).findFirst().orElseThrow();
    servers.get(leaderId).destroyForcibly().waitFor(); // kill -9
    long killedAt = System.nanoTime();

    Result afterKill = sluice(lines(5001, 6000), "produce", "--topic", "orders", "--bootstrap", bootstrap);
    assertEquals(0, afterKill.exit(), afterKill.toString());
    System.out.printf("producing resumed %d ms after kill -9 of the leader%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
    String newStatus = awaitStatus(Duration.ofSeconds(60));
    assertNotEquals(leader, leaderPid(newStatus), "a new leader took over");

    startServer(leaderId);
    Result all = sluice(null, "consume", "--topic", "orders", "--from-beginning", "--max-records", "6002",
        "--bootstrap", bootstrap);
    assertEquals(0, all.exit(), all.toString());
    assertEquals(6002, new HashSet<>(all.out().lines().toList()).size(), "every record once, after the failover");

    Result altered = sluice(null, "topic", "alter", "orders", "--config", "retention.ms=86400000",
        "--bootstrap", bootstrap);
    assertEquals(0, altered.exit(), altered.toString());
    Result describe = sluice(null, "topic", "describe", "orders", "--bootstrap", bootstrap);
    assertEquals(0, describe.exit(), describe.toString());
    assertTrue(describe.out().contains("retention.ms=86400000"), describe.out());

    // Monitoring through --http-listen: every node ready again, and the records counted.
    double counted = 0;
    for (var e : httpAddresses.entrySet()) {
      HostPort http = e.getValue();
      TestCluster.await(Duration.ofSeconds(30), e.getKey() + " ready", () -> Scrape.get(http, "/health/ready").status() == 200);
      Scrape.Reply metrics = Scrape.get(http, "/metrics");
      assertEquals(200, metrics.status());
      counted += Scrape.parse(metrics.body()).find("sluice_produce_records_total", "topic", "orders").stream()
          .mapToDouble(Scrape.Sample::value).sum();
    }
    // The killed leader's counts went with its process; the others' are still there.
    assertTrue(counted >= 1000 && counted <= 6002, "records counted by the live nodes: " + counted);
    List<String> jsonLog = Files.readAllLines(tmp.resolve("n3.log")).stream()
        .filter(l -> !l.startsWith("sluice node n3 ready")).toList();
    assertTrue(jsonLog.size() >= 3, "n3 logged: " + jsonLog);
    for (String line : jsonLog) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertEquals("n3", o.getAsJsonObject("context").getAsJsonObject("properties").get("sluice.node.id")
          .getAsString(), line);
    }
  }

  @Test
  void badInputGetsOneClearLineAndANonZeroExit() throws Exception {
    startCluster();
    assertEquals(0, sluice(null, "topic", "create", "t", "--bootstrap", bootstrap).exit());
    Map<List<String>, String> cases = new LinkedHashMap<>();
    cases.put(List.of("topic", "create", "bad name"), "outside [a-zA-Z0-9._-]");
    cases.put(List.of("topic", "create", "t"), "already exists");
    cases.put(List.of("topic", "create", "p0", "--partitions", "0"), "partition");
    cases.put(List.of("topic", "describe", "ghost"), "does not exist");
    cases.put(List.of("consume", "--topic", "ghost", "--from-beginning"), "does not exist");
    cases.put(List.of("consume", "--topic", "t", "--offset", "-5"), "offset");
    cases.put(List.of("produce", "--topic", "t", "--partition", "9"), "partition");
    cases.put(List.of("topic", "alter", "t", "--config", "retention.days=1"), "unknown topic configuration");
    cases.put(List.of("topic", "create", "r", "--config", "retention.ms=soon"), "retention.ms");
    for (var c : cases.entrySet()) {
      List<String> args = new ArrayList<>(c.getKey());
      args.addAll(List.of("--bootstrap", bootstrap));
      Result r = sluice("x\n", args.toArray(String[]::new));
      assertNotEquals(0, r.exit(), c.getKey() + " should fail: " + r);
      List<String> errorLines = r.err().lines().filter(l -> l.startsWith("sluice: error:")).toList();
      assertEquals(1, errorLines.size(), c.getKey() + ": " + r.err());
      assertTrue(errorLines.get(0).toLowerCase().contains(c.getValue().toLowerCase()),
          c.getKey() + ": " + errorLines.get(0));
    }
    Result unreachable = sluice(null, "topic", "list", "--bootstrap", "127.0.0.1:1", "--timeout-ms", "2000");
    assertEquals(1, unreachable.exit(), unreachable.toString());
    assertTrue(unreachable.err().startsWith("sluice: error:"), unreachable.err());
    // The cluster still serves everyone after all of that.
    Result ok = sluice("fine\n", "produce", "--topic", "t", "--bootstrap", bootstrap);
    assertEquals(0, ok.exit(), ok.toString());
  }
}
