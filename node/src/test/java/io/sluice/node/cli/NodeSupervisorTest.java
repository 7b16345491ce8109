package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Supervision of child processes, with sh standing in for the node JVM. */
@EnabledOnOs({OS.LINUX, OS.MAC})
@Timeout(60)
class NodeSupervisorTest {

  @TempDir Path dataDir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private NodeSupervisor supervisor(int nodes, Duration stopGrace) {
    return new NodeSupervisor(
        new PrintWriter(out, true),
        new PrintWriter(err, true),
        nodes,
        node -> "bin/sluice server --id " + node.id(),
        stopGrace);
  }

  private LocalClusterPlan.Node node(String id) {
    return new LocalClusterPlan.Node(id, 7070, 7170, 7270, dataDir.resolve(id));
  }

  @Test
  void childOutputGoesToItsLogAfterAHeaderLine() throws Exception {
    NodeSupervisor supervisor = supervisor(1, Duration.ofSeconds(5));
    LocalClusterPlan.Node n1 = node("n1");
    supervisor.start(n1, List.of("sh", "-c", "echo out-line; echo err-line >&2; exit 0"));
    supervisor.awaitAllExited();

    List<String> log = Files.readAllLines(n1.logFile());
    assertTrue(log.get(0).contains("local-cluster starts n1: sh -c"), log.toString());
    assertTrue(log.contains("out-line"), log.toString());
    assertTrue(log.contains("err-line"), log.toString());
  }

  @Test
  void unexpectedExitIsReportedWithCodeAndRestartCommand() throws Exception {
    NodeSupervisor supervisor = supervisor(2, Duration.ofSeconds(5));
    NodeSupervisor.Child crashing = supervisor.start(node("n1"), List.of("sh", "-c", "exit 3"));
    NodeSupervisor.Child running = supervisor.start(node("n2"), List.of("sleep", "30"));

    crashing.process().waitFor();
    waitUntil(() -> err.toString().contains("exited"));
    String report = err.toString();
    assertTrue(
        report.startsWith(
            "sluice: error: node n1 (pid "
                + crashing.process().pid()
                + ") exited with code 3; log: "
                + dataDir.resolve("n1").resolve("node.log")),
        report);
    assertTrue(report.contains("restart it with: bin/sluice server --id n1"), report);
    assertTrue(running.process().isAlive(), "the other node keeps running");
    assertTrue(supervisor.anyAlive());

    supervisor.stopAll();
    assertFalse(running.process().isAlive());
  }

  @Test
  void stopAllTerminatesNodesAndSaysSo() throws Exception {
    NodeSupervisor supervisor = supervisor(2, Duration.ofSeconds(5));
    NodeSupervisor.Child n1 = supervisor.start(node("n1"), List.of("sleep", "30"));
    NodeSupervisor.Child n2 = supervisor.start(node("n2"), List.of("sleep", "30"));

    supervisor.stopAll();

    assertFalse(n1.process().isAlive());
    assertFalse(n2.process().isAlive());
    String text = out.toString();
    assertTrue(text.contains("stopping 2 nodes..."), text);
    assertTrue(text.contains("stopped n1 (pid " + n1.process().pid() + ", exit code 143)"), text);
    assertTrue(text.contains("stopped n2 (pid " + n2.process().pid() + ", exit code 143)"), text);
    assertTrue(text.contains("local cluster stopped"), text);
    supervisor.awaitAllExited();
    assertEquals("", err.toString(), "an intended stop is not reported as a crash");
  }

  @Test
  void nodeIgnoringSigtermIsKilledAfterTheGrace() throws Exception {
    NodeSupervisor supervisor = supervisor(1, Duration.ofMillis(500));
    Path armed = dataDir.resolve("trap-armed");
    NodeSupervisor.Child stubborn =
        supervisor.start(node("n1"), List.of("sh", "-c", "trap '' TERM; touch '" + armed + "'; exec sleep 30"));
    // Signalled only once sh ignores SIGTERM (a fixed pause is too short for a loaded machine).
    waitUntil(() -> Files.exists(armed));

    supervisor.stopAll();

    assertFalse(stubborn.process().isAlive());
    assertTrue(
        out.toString().contains("killed n1 (pid " + stubborn.process().pid() + ")"),
        out.toString());
  }

  @Test
  void stopAllRunsOnce() throws IOException {
    NodeSupervisor supervisor = supervisor(1, Duration.ofSeconds(5));
    supervisor.start(node("n1"), List.of("sleep", "30"));
    supervisor.stopAll();
    supervisor.stopAll();
    assertEquals(1, out.toString().split("local cluster stopped", -1).length - 1, out.toString());
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(20);
    }
  }
}
