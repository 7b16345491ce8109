package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.NodeConfig;
import io.sluice.node.PublicTestCluster;
import io.sluice.node.SluiceNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code consume --group} and {@code group list|describe|reset-offsets|delete} as a user runs them,
 * in-process against a real node: two consumers of one group split the partitions and together
 * print every record once; the group commands show and change what was committed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GroupCliTest {
  @TempDir
  Path tmp;

  private SluiceNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private String startNode() throws IOException {
    int client = PublicTestCluster.freePort();
    int raft = PublicTestCluster.freePort();
    node = new SluiceNode(NodeConfig.of(PublicTestCluster.singleNodeConfig(tmp.resolve("n1"), client, raft))).start();
    return "127.0.0.1:" + client;
  }

  static final String[] LAST = {""};

  private static CliRun ok(String... args) {
    CliRun run = CliRun.run(args);
    assertEquals(0, run.exitCode(), run.toString());
    return run;
  }

  private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + " " + LAST[0]);
      }
      Thread.sleep(200);
    }
  }

  @Test
  void twoGroupConsumersSplitThePartitionsAndTheGroupCommandsShowAndResetOffsets() throws Exception {
    String bootstrap = startNode();
    ok("topic", "create", "t", "--partitions", "4", "--bootstrap", bootstrap);
    String[] consume = {"consume", "--topic", "t", "--group", "g", "--from-beginning", "--timeout-ms", "15000",
        "--format", "%p:%o:%v", "--bootstrap", bootstrap};
    CompletableFuture<CliRun> first = CompletableFuture.supplyAsync(() -> CliRun.run(consume));
    CompletableFuture<CliRun> second = CompletableFuture.supplyAsync(() -> CliRun.run(consume));
    await("both consumers in group g", () -> {
      CliRun d = CliRun.run("group", "describe", "g", "--json", "--bootstrap", bootstrap);
      LAST[0] = d.toString() + (first.isDone() ? "first done: " + first.join() : "") + (second.isDone() ? "second done: " + second.join() : "");
      return d.exitCode() == 0 && d.out().contains("\"STABLE\"") && d.out().split("\"client\": *\"sluice-cli").length == 3;
    });
    CliRun notEmpty = CliRun.run("group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--bootstrap", bootstrap);
    assertEquals(1, notEmpty.exitCode(), notEmpty.toString());
    assertTrue(notEmpty.err().startsWith("sluice: error: ") && notEmpty.err().contains("members"), notEmpty.toString());

    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 200; i++) {
      lines.append("k").append(i).append(":v").append(i).append('\n');
    }
    CliRun produced = runWithInput(lines.toString(), "produce", "--topic", "t", "--key-separator", ":",
        "--bootstrap", bootstrap);
    assertEquals(0, produced.exitCode(), produced.toString());

    CliRun a = first.get(120, TimeUnit.SECONDS);
    CliRun b = second.get(120, TimeUnit.SECONDS);
    assertEquals(0, a.exitCode(), a.toString());
    assertEquals(0, b.exitCode(), b.toString());
    Set<String> partitionsA = partitionsOf(a.out());
    Set<String> partitionsB = partitionsOf(b.out());
    assertTrue(!partitionsA.isEmpty() && !partitionsB.isEmpty(), "both consumers printed: " + a + b);
    Set<String> overlap = new HashSet<>(partitionsA);
    overlap.retainAll(partitionsB);
    assertEquals(Set.of(), overlap, "the group split the partitions: " + a + b);
    List<String> values = new ArrayList<>();
    (a.out() + b.out()).lines().forEach(l -> values.add(l.split(":")[2]));
    assertEquals(200, values.size(), "every record printed once: " + a + b);
    assertEquals(200, new HashSet<>(values).size(), "no record printed twice");

    CliRun list = ok("group", "list", "--bootstrap", bootstrap);
    assertTrue(list.out().contains("g") && list.out().contains("EMPTY"), list.toString());
    CliRun described = ok("group", "describe", "g", "--json", "--bootstrap", bootstrap);
    assertEquals(4, described.out().split("\"lag\": *0").length - 1, "committed up to the end everywhere: " + described);

    CliRun reset = ok("group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--bootstrap", bootstrap);
    assertEquals(4, reset.out().lines().filter(l -> l.trim().endsWith(" 0")).count(), reset.toString());
    ok("group", "reset-offsets", "g", "--topic", "t", "--to-offset", "3", "--bootstrap", bootstrap);
    CliRun again = ok("consume", "--topic", "t", "--group", "g", "--timeout-ms", "3000", "--format", "%p:%o",
        "--bootstrap", bootstrap);
    assertTrue(again.out().lines().allMatch(l -> Integer.parseInt(l.split(":")[1]) >= 3), again.toString());
    assertEquals(200 - 12, again.out().lines().count(), "from offset 3 of each partition: " + again);

    CliRun usage = CliRun.run("group", "reset-offsets", "g", "--topic", "t", "--bootstrap", bootstrap);
    assertEquals(2, usage.exitCode(), usage.toString());
    CliRun conflicting = CliRun.run("consume", "--topic", "t", "--group", "g", "--offset", "1", "--bootstrap", bootstrap);
    assertEquals(2, conflicting.exitCode(), conflicting.toString());

    ok("group", "delete", "g", "--bootstrap", bootstrap);
    CliRun gone = CliRun.run("group", "describe", "g", "--bootstrap", bootstrap);
    assertEquals(1, gone.exitCode(), gone.toString());
    assertTrue(gone.err().startsWith("sluice: error: ") && gone.err().contains("does not exist"), gone.toString());
  }

  private static CliRun runWithInput(String input, String... args) {
    return CliRun.runWithInput(input.getBytes(StandardCharsets.UTF_8), args);
  }

  private static Set<String> partitionsOf(String out) {
    Set<String> partitions = new HashSet<>();
    out.lines().forEach(l -> partitions.add(l.split(":")[0]));
    return partitions;
  }
}
