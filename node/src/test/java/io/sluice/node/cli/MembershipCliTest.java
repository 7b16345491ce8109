package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.NodeConfig;
import io.sluice.node.PublicTestCluster;
import io.sluice.node.SluiceNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The membership commands as a user runs them, in-process against real nodes: status with the
 * new columns, add-node of a node started with join, transfer-leader, snapshot, and the one-line
 * refusals (exit 1) and usage errors (exit 2).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MembershipCliTest {
  @TempDir
  Path tmp;

  private final List<SluiceNode> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    nodes.forEach(SluiceNode::close);
  }

  private Map<String, String> config(String id, int clientPort, int raftPort) {
    return PublicTestCluster.nodeConfig(id, tmp.resolve(id), clientPort, raftPort);
  }

  private static CliRun ok(String... args) {
    CliRun run = CliRun.run(args);
    assertEquals(SluiceCli.EXIT_OK, run.exitCode(), run.toString());
    return run;
  }

  private static void awaitOk(String... args) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    CliRun run = CliRun.run(args);
    while (run.exitCode() != SluiceCli.EXIT_OK && System.nanoTime() < deadline) {
      Thread.sleep(200);
      run = CliRun.run(args);
    }
    assertEquals(SluiceCli.EXIT_OK, run.exitCode(), run.toString());
  }

  private static void assertRefused(CliRun run, String fragment) {
    assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.errLines().get(0).startsWith("sluice: error: ") && run.err().contains(fragment),
        "expected '" + fragment + "' in " + run);
  }

  @Test
  void addNodeTransferLeaderSnapshotAndRefusals() throws Exception {
    int[][] ports = new int[4][];
    StringBuilder peers = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      ports[i] = new int[] {PublicTestCluster.freePort(), PublicTestCluster.freePort()};
      if (i < 3) {
        peers.append(i == 0 ? "" : ",").append("n").append(i + 1).append("=127.0.0.1:").append(ports[i][1]);
      }
    }
    for (int i = 0; i < 3; i++) {
      Map<String, String> c = config("n" + (i + 1), ports[i][0], ports[i][1]);
      c.put("peers", peers.toString());
      nodes.add(new SluiceNode(NodeConfig.of(c)).start());
    }
    String bootstrap = "127.0.0.1:" + ports[0][0] + ",127.0.0.1:" + ports[1][0];
    awaitOk("topic", "create", "t", "--partitions", "2", "--bootstrap", bootstrap);

    CliRun status = ok("cluster", "status", "--bootstrap", bootstrap);
    String header = status.out().lines().skip(1).findFirst().orElseThrow();
    assertTrue(header.contains("SNAPSHOT-INDEX") && header.contains("LAG") && header.contains("DISK-USED"), status.out());
    assertTrue(status.out().contains("KiB") || status.out().contains("MiB"), "disk use in human units: " + status.out());

    // A fourth node started with join, then added by the CLI.
    Map<String, String> joiner = config("n4", ports[3][0], ports[3][1]);
    joiner.put("join", "true");
    nodes.add(new SluiceNode(NodeConfig.of(joiner)).start());
    CliRun added = ok("cluster", "add-node", "n4=127.0.0.1:" + ports[3][1], "--bootstrap", bootstrap);
    assertTrue(added.out().contains("added n4") && added.out().contains("n1, n2, n3, n4"), added.out());
    CliRun json = ok("cluster", "status", "--json", "--bootstrap", bootstrap);
    assertTrue(json.out().contains("\"id\": \"n4\"") && json.out().contains("\"lagEntries\"")
        && json.out().contains("\"diskUsedBytes\""), json.out());

    CliRun moved = ok("cluster", "transfer-leader", "n4", "--bootstrap", bootstrap);
    assertEquals("leader is now n4", moved.out().strip());

    CliRun snapshots = ok("cluster", "snapshot", "--bootstrap", bootstrap);
    assertTrue(snapshots.out().startsWith("ID") && snapshots.out().lines().count() == 5, snapshots.out());

    assertRefused(CliRun.run("cluster", "remove-node", "n9", "--bootstrap", bootstrap), "no member has id 'n9'");
    assertRefused(CliRun.run("cluster", "transfer-leader", "n9", "--bootstrap", bootstrap), "no member has id 'n9'");
    assertRefused(CliRun.run("cluster", "add-node", "n2=127.0.0.1:1", "--bootstrap", bootstrap),
        "n2 is already a member");
    CliRun usage = CliRun.run("cluster", "add-node", "n5", "--bootstrap", bootstrap);
    assertEquals(SluiceCli.EXIT_USAGE, usage.exitCode(), usage.toString());
    assertTrue(usage.err().contains("expected ID=HOST:RAFTPORT"), usage.toString());
  }

  @Test
  void humanBytes() {
    assertEquals("512 B", ClusterCommand.humanBytes(512));
    assertEquals("1.5 KiB", ClusterCommand.humanBytes(1536));
    assertEquals("12.0 MiB", ClusterCommand.humanBytes(12L << 20));
    assertEquals("2.0 GiB", ClusterCommand.humanBytes(2L << 30));
  }
}
