package io.sluice.node.cli;

import io.sluice.client.ClusterInfo;
import io.sluice.client.NodeInfo;
import io.sluice.client.NodeStatus;
import io.sluice.client.SluiceClient;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice cluster status}. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Inspect the cluster.",
    subcommands = {ClusterCommand.Status.class})
final class ClusterCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: status");
  }

  /**
   * One node's row: the membership entry and, when the node answered, its own status.
   *
   * @param status null when the node could not be asked or did not answer
   * @param error why there is no status, or null
   */
  record NodeRow(NodeInfo node, NodeStatus status, String error) {
    boolean reachable() {
      return status != null;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Ask each member for its Raft status. Unreachable nodes are shown, not an error.",
        "Exits 0 when a leader is known, 1 otherwise."
      })
  static final class Status implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "5000",
        description =
            "How long to wait for each node, in milliseconds (default: ${DEFAULT-VALUE}).")
    long timeoutMs;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeoutMs);
      ClusterInfo cluster;
      List<NodeRow> rows;
      try (SluiceClient sluice = client.connectFor(timeoutMs)) {
        cluster =
            Await.get(
                sluice.admin().describeCluster(), timeoutMs, "asking for the cluster members");
        rows = askEachNode(sluice, cluster);
      }
      String leader = knownLeader(cluster, rows);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(toJson(cluster, leader, rows)));
        out.flush();
      } else {
        printTable(out, cluster, leader, rows);
      }
      if (leader == null) {
        spec.commandLine().getErr().println(CliErrors.PREFIX + "no leader is known");
        return SluiceCli.EXIT_FAILED;
      }
      return SluiceCli.EXIT_OK;
    }

    /** Asks all nodes at once, so one unreachable node costs one timeout, not one each. */
    private List<NodeRow> askEachNode(SluiceClient sluice, ClusterInfo cluster) {
      Map<NodeInfo, CompletableFuture<NodeStatus>> pending = new LinkedHashMap<>();
      for (NodeInfo node : cluster.nodes()) {
        if (!isBlank(node.clientAddress())) {
          pending.put(node, sluice.admin().nodeStatus(node.clientAddress()));
        }
      }
      List<NodeRow> rows = new ArrayList<>();
      for (NodeInfo node : cluster.nodes()) {
        CompletableFuture<NodeStatus> status = pending.get(node);
        if (status == null) {
          rows.add(new NodeRow(node, null, "no client address registered yet"));
          continue;
        }
        try {
          rows.add(
              new NodeRow(
                  node,
                  Await.get(status, timeoutMs, "asking " + node.id() + " for its status"),
                  null));
        } catch (RuntimeException e) {
          rows.add(new NodeRow(node, null, CliErrors.describe(e)));
        }
      }
      return rows;
    }
  }

  /** The leader the answering node named, else one a reachable node names, else null. */
  static String knownLeader(ClusterInfo cluster, List<NodeRow> rows) {
    if (!isBlank(cluster.leaderId())) {
      return cluster.leaderId();
    }
    for (NodeRow row : rows) {
      if (row.reachable() && "LEADER".equals(row.status().role())) {
        return row.status().id();
      }
    }
    for (NodeRow row : rows) {
      if (row.reachable() && !isBlank(row.status().leaderId())) {
        return row.status().leaderId();
      }
    }
    return null;
  }

  static void printTable(PrintWriter out, ClusterInfo cluster, String leader, List<NodeRow> rows) {
    out.printf(
        "cluster %s  leader %s  nodes %d%n",
        cluster.clusterId(), leader == null ? "unknown" : leader, rows.size());
    Table table =
        new Table(
            "ID",
            "ROLE",
            "TERM",
            "COMMIT-INDEX",
            "APPLIED-INDEX",
            "SNAPSHOT-INDEX",
            "LEADER",
            "CLIENT-ADDRESS",
            "REACHABLE");
    for (NodeRow row : rows) {
      NodeStatus s = row.status();
      String address = isBlank(row.node().clientAddress()) ? null : row.node().clientAddress();
      if (s == null) {
        table.row(row.node().id(), null, null, null, null, null, null, address, "no");
        continue;
      }
      table.row(
          row.node().id(),
          s.role(),
          s.term(),
          s.commitIndex(),
          s.appliedIndex(),
          s.snapshotIndex() < 0 ? null : s.snapshotIndex(),
          isBlank(s.leaderId()) ? null : s.leaderId(),
          address,
          "yes");
    }
    table.print(out);
  }

  static Map<String, Object> toJson(ClusterInfo cluster, String leader, List<NodeRow> rows) {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("clusterId", cluster.clusterId());
    object.put("leaderId", leader);
    List<Object> nodes = new ArrayList<>();
    for (NodeRow row : rows) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", row.node().id());
      node.put("clientAddress", row.node().clientAddress());
      node.put("raftAddress", row.node().raftAddress());
      node.put("reachable", row.reachable());
      NodeStatus s = row.status();
      if (s != null) {
        node.put("role", s.role());
        node.put("term", s.term());
        node.put("commitIndex", s.commitIndex());
        node.put("appliedIndex", s.appliedIndex());
        node.put("snapshotIndex", s.snapshotIndex());
        node.put("leaderId", isBlank(s.leaderId()) ? null : s.leaderId());
        node.put("pid", s.pid());
      } else {
        node.put("error", row.error());
      }
      nodes.add(node);
    }
    object.put("nodes", nodes);
    return object;
  }

  static boolean isBlank(String text) {
    return text == null || text.isBlank();
  }
}
