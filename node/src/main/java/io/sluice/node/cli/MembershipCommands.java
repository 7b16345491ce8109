package io.sluice.node.cli;

import io.sluice.client.ClusterInfo;
import io.sluice.client.NodeInfo;
import io.sluice.client.SluiceClient;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice cluster add-node | remove-node | transfer-leader | snapshot}: membership and
 * maintenance. The changes go to the leader, which refuses unsafe ones with a reason.
 */
final class MembershipCommands {
  private MembershipCommands() {}

  @Command(
      name = "add-node",
      mixinStandardHelpOptions = true,
      description = {
        "Add a node to the cluster. Start it first: sluice server --id ID --raft-listen HOST:RAFTPORT"
            + " --listen HOST:PORT --data-dir DIR --join",
        "The leader sends it the log (or a snapshot) while it is outside the configuration (it does not"
            + " vote), and makes it a voter once it has caught up. Adding a voter again at the same address"
            + " changes nothing."
      })
  static final class AddNode implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "ID=HOST:RAFTPORT", description = "The new node's --id and --raft-listen address.")
    String node;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "300000",
        description = "How long to wait for the node to catch up and become a voter (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeoutMs);
      int eq = node.indexOf('=');
      if (eq <= 0 || eq == node.length() - 1) {
        throw new ParameterException(spec.commandLine(), "expected ID=HOST:RAFTPORT, got '" + node + "'");
      }
      String id = node.substring(0, eq);
      String raftAddress = node.substring(eq + 1);
      ClusterInfo cluster;
      cluster = client.admin(timeoutMs, "adding " + id, admin -> admin.addNode(id, raftAddress));
      PrintWriter out = spec.commandLine().getOut();
      String clientAddress = cluster.nodes().stream().filter(n -> n.id().equals(id)).map(NodeInfo::clientAddress)
          .filter(a -> !ClusterCommand.isBlank(a)).findFirst().orElse("not registered yet");
      out.printf("added %s (Raft %s, client %s) as a voter; voters now: %s%n", id, raftAddress, clientAddress,
          voters(cluster));
      out.flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(
      name = "remove-node",
      mixinStandardHelpOptions = true,
      description = {
        "Remove a member. Refused when the voters left would not have a reachable majority, or when no"
            + " member has the id. Removing the leader hands leadership to another voter first.",
        "Afterwards stop the removed node and delete its data directory."
      })
  static final class RemoveNode implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Id of the member to remove.")
    String id;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "30000",
        description = "How long to wait (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeoutMs);
      ClusterInfo cluster;
      cluster = client.admin(timeoutMs, "removing " + id, admin -> admin.removeNode(id));
      PrintWriter out = spec.commandLine().getOut();
      out.printf("removed %s; voters now: %s%n", id, voters(cluster));
      out.printf("stop %s's process and delete its data directory before reusing the id%n", id);
      out.flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(
      name = "transfer-leader",
      mixinStandardHelpOptions = true,
      description = "Make a voter the leader (the leader first brings it up to date).")
  static final class TransferLeader implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "ID", description = "Id of the voter that should lead.")
    String id;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "30000",
        description = "How long to wait (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeoutMs);
      String leader;
      leader = client.admin(timeoutMs, "transferring leadership to " + id, admin -> admin.transferLeader(id));
      spec.commandLine().getOut().printf("leader is now %s%n", leader);
      spec.commandLine().getOut().flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(
      name = "snapshot",
      mixinStandardHelpOptions = true,
      description = {
        "Have every member (or one, with --node) take a snapshot of its state now; the Raft log up to"
            + " it can then be purged, and a restart replays less.",
        "Exits 1 if any node could not."
      })
  static final class Snapshot implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Option(names = "--node", paramLabel = "ID", description = "Only this member.")
    String nodeId;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "60000",
        description = "How long to wait for each node (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeoutMs);
      Map<String, Object> results = new LinkedHashMap<>();
      boolean failed = false;
      try (SluiceClient sluice = client.connectFor(timeoutMs)) {
        ClusterInfo cluster = Await.get(sluice.admin().describeCluster(), timeoutMs, "asking for the cluster members");
        List<NodeInfo> targets = cluster.nodes().stream()
            .filter(n -> nodeId == null || n.id().equals(nodeId)).toList();
        if (targets.isEmpty()) {
          throw new CliException("no member has id '" + nodeId + "'; the members are "
              + cluster.nodes().stream().map(NodeInfo::id).collect(Collectors.joining(", ")));
        }
        Map<NodeInfo, CompletableFuture<Long>> pending = new LinkedHashMap<>();
        for (NodeInfo n : targets) {
          pending.put(n, ClusterCommand.isBlank(n.clientAddress()) ? null : sluice.admin().takeSnapshot(n.clientAddress()));
        }
        for (var e : pending.entrySet()) {
          if (e.getValue() == null) {
            results.put(e.getKey().id(), "error: no client address registered yet");
            failed = true;
            continue;
          }
          try {
            results.put(e.getKey().id(), Await.get(e.getValue(), timeoutMs, "snapshotting " + e.getKey().id()));
          } catch (RuntimeException ex) {
            results.put(e.getKey().id(), "error: " + CliErrors.describe(ex));
            failed = true;
          }
        }
      }
      Table table = new Table("ID", "SNAPSHOT-INDEX");
      results.forEach(table::row);
      table.print(spec.commandLine().getOut());
      spec.commandLine().getOut().flush();
      if (failed) {
        spec.commandLine().getErr().println(CliErrors.PREFIX + "not every node took a snapshot");
        return SluiceCli.EXIT_FAILED;
      }
      return SluiceCli.EXIT_OK;
    }
  }

  static String voters(ClusterInfo cluster) {
    return cluster.nodes().stream().filter(n -> !n.listener()).map(NodeInfo::id).collect(Collectors.joining(", "));
  }
}
