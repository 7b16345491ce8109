package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parts of local-cluster that need no running node. */
class LocalClusterTest {

  @TempDir Path dataDir;

  @Test
  void nodesGetConsecutivePortsAndTheirOwnDirectories() {
    LocalClusterPlan plan = LocalClusterPlan.of(3, dataDir, 7070, 7170);

    assertEquals(3, plan.nodes().size());
    LocalClusterPlan.Node n3 = plan.nodes().get(2);
    assertEquals("n3", n3.id());
    assertEquals("127.0.0.1:7072", n3.clientAddress());
    assertEquals("127.0.0.1:7172", n3.raftAddress());
    assertEquals("127.0.0.1:7272", n3.httpAddress());
    assertEquals(dataDir.resolve("n3"), n3.dataDir());
    assertEquals(dataDir.resolve("n3").resolve("node.log"), n3.logFile());
    assertEquals("n1=127.0.0.1:7170,n2=127.0.0.1:7171,n3=127.0.0.1:7172", plan.peers());
    assertEquals(
        List.of("127.0.0.1:7070", "127.0.0.1:7071", "127.0.0.1:7072"), plan.clientAddresses());
  }

  @Test
  void childCommandRunsTheServerInAJvmThatKnowsItsParent() {
    LocalClusterPlan plan = LocalClusterPlan.of(3, dataDir, 7070, 7170);
    List<String> command =
        plan.childCommand(
            "/jdk/bin/java", List.of("-Xmx256m"), "a.jar:lib/*", 4242, plan.nodes().get(1));

    assertEquals(
        List.of(
            "/jdk/bin/java",
            "-Xmx256m",
            "-Dsluice.parent.pid=4242",
            "-cp",
            "a.jar:lib/*",
            "io.sluice.node.cli.SluiceCli",
            "server",
            "--id",
            "n2",
            "--data-dir",
            dataDir.resolve("n2").toString(),
            "--listen",
            "127.0.0.1:7071",
            "--raft-listen",
            "127.0.0.1:7171",
            "--http-listen",
            "127.0.0.1:7271",
            "--peers",
            "n1=127.0.0.1:7170,n2=127.0.0.1:7171,n3=127.0.0.1:7172"),
        command);
  }

  @Test
  void restartCommandIsShellQuoted() {
    LocalClusterPlan plan = LocalClusterPlan.of(1, Path.of("/tmp/my data/it's"), 7070, 7170);
    assertEquals(
        "bin/sluice server --id n1 --data-dir '/tmp/my data/it'\\''s/n1' --listen 127.0.0.1:7070"
            + " --raft-listen 127.0.0.1:7170 --http-listen 127.0.0.1:7270 --peers n1=127.0.0.1:7170",
        plan.restartCommand("bin/sluice", plan.nodes().get(0)));
  }

  @Test
  void relativeDataDirIsMadeAbsolute() {
    LocalClusterPlan plan = LocalClusterPlan.of(1, Path.of("data", "local"), 7070, 7170);
    assertTrue(plan.nodes().get(0).dataDir().isAbsolute());
  }

  @Test
  void portRangesMustFitAndNotOverlap() {
    assertThrows(
        IllegalArgumentException.class, () -> LocalClusterPlan.of(3, dataDir, 65534, 7170));
    assertThrows(IllegalArgumentException.class, () -> LocalClusterPlan.of(3, dataDir, 7070, 7072));
    assertThrows(IllegalArgumentException.class, () -> LocalClusterPlan.of(3, dataDir, 7072, 7070));
    LocalClusterPlan.of(3, dataDir, 7070, 7073);
    assertThrows(
        IllegalArgumentException.class, () -> LocalClusterPlan.of(3, dataDir, 7070, 7170, 7072));
    assertThrows(
        IllegalArgumentException.class, () -> LocalClusterPlan.of(3, dataDir, 7070, 7170, 7168));
    assertThrows(
        IllegalArgumentException.class, () -> LocalClusterPlan.of(3, dataDir, 7070, 7170, 65534));
    LocalClusterPlan.of(3, dataDir, 7070, 7170, 7173);
  }

  @Test
  void httpBasePortIsHonoured() {
    LocalClusterPlan plan = LocalClusterPlan.of(3, dataDir, 41070, 41170, 41270);
    assertEquals(
        List.of("127.0.0.1:41270", "127.0.0.1:41271", "127.0.0.1:41272"),
        plan.nodes().stream().map(LocalClusterPlan.Node::httpAddress).toList());
  }

  @Test
  void refusesToStartWhenAPortIsInUse() throws IOException {
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = busy.getLocalPort();
      // The busy port is n1's client port, the first one checked.
      int raftBasePort = port > 30000 ? port - 1000 : port + 1000;
      CliRun run =
          CliRun.run(
              "local-cluster",
              "--nodes",
              "3",
              "--data-dir",
              dataDir.toString(),
              "--base-port",
              Integer.toString(port),
              "--raft-base-port",
              Integer.toString(raftBasePort));

      assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
      assertEquals(1, run.errLines().size(), run.toString());
      assertTrue(
          run.err()
              .startsWith("sluice: error: port " + port + " (client port of n1) is already in use"),
          run.toString());
      assertFalse(Files.exists(dataDir.resolve("n1")), "nothing may start before the check");
    }
  }

  @Test
  void refusesToStartWhenAnHttpPortIsInUse() throws IOException {
    try (ServerSocket busy = new ServerSocket();
        ServerSocket client = new ServerSocket();
        ServerSocket raft = new ServerSocket()) {
      busy.bind(new InetSocketAddress("127.0.0.1", 0));
      client.bind(new InetSocketAddress("127.0.0.1", 0));
      raft.bind(new InetSocketAddress("127.0.0.1", 0));
      int clientPort = client.getLocalPort();
      int raftPort = raft.getLocalPort();
      client.close(); // free again: only the HTTP port stays busy
      raft.close();
      CliRun run =
          CliRun.run(
              "local-cluster",
              "--nodes",
              "1",
              "--data-dir",
              dataDir.toString(),
              "--base-port",
              Integer.toString(clientPort),
              "--raft-base-port",
              Integer.toString(raftPort),
              "--http-base-port",
              Integer.toString(busy.getLocalPort()));

      assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
      assertTrue(
          run.err()
              .startsWith(
                  "sluice: error: port " + busy.getLocalPort() + " (http port of n1) is already in use"),
          run.toString());
      assertFalse(Files.exists(dataDir.resolve("n1")), "nothing may start before the check");
    }
  }

  @Test
  void freePortIsSeenAsFree() throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress("127.0.0.1", 0));
      port = probe.getLocalPort();
      assertFalse(LocalClusterCommand.isFree(port));
    }
    assertTrue(LocalClusterCommand.isFree(port));
  }

  @Test
  void shellQuoteLeavesSafeWordsAlone() {
    assertEquals("n1=127.0.0.1:7170,n2=x", LocalClusterPlan.shellQuote("n1=127.0.0.1:7170,n2=x"));
    assertEquals("'a b'", LocalClusterPlan.shellQuote("a b"));
    assertEquals("''", LocalClusterPlan.shellQuote(""));
  }
}
