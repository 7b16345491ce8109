package io.sluice.node.cli;

import io.sluice.client.ClusterInfo;
import io.sluice.client.FollowerStatus;
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

/** {@code sluice cluster status}, and the membership commands of {@link MembershipCommands}. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Inspect and change the cluster.",
    subcommands = {
      ClusterCommand.Status.class,
      MembershipCommands.AddNode.class,
      MembershipCommands.RemoveNode.class,
      MembershipCommands.TransferLeader.class,
      MembershipCommands.Snapshot.class
    })
final class ClusterCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(),
        "missing subcommand: status, add-node, remove-node, transfer-leader or snapshot");
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
        "LAG is how many entries a member is behind the leader's commit index, as the leader sees it;"
            + " DISK-USED is the size of its data directory.",
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
            "LAG",
            "DISK-USED",
            "LEADER",
            "CLIENT-ADDRESS",
            "REACHABLE");
    Map<String, FollowerStatus> progress = followerProgress(leader, rows);
    for (NodeRow row : rows) {
      NodeStatus s = row.status();
      String address = isBlank(row.node().clientAddress()) ? null : row.node().clientAddress();
      FollowerStatus p = progress.get(row.node().id());
      Long lag = p == null || p.lagEntries() < 0 ? null : p.lagEntries();
      if (s == null) {
        String role = row.node().listener() ? "LISTENER" : null;
        table.row(row.node().id(), role, null, null, null, null, lag, null, null, address, "no");
        continue;
      }
      table.row(
          row.node().id(),
          s.role(),
          s.term(),
          s.commitIndex(),
          s.appliedIndex(),
          s.snapshotIndex() < 0 ? null : s.snapshotIndex(),
          lag,
          humanBytes(s.diskUsedBytes()),
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
    Map<String, FollowerStatus> progress = followerProgress(leader, rows);
    for (NodeRow row : rows) {
      Map<String, Object> node = new LinkedHashMap<>();
      node.put("id", row.node().id());
      node.put("clientAddress", row.node().clientAddress());
      node.put("raftAddress", row.node().raftAddress());
      node.put("listener", row.node().listener());
      node.put("reachable", row.reachable());
      FollowerStatus p = progress.get(row.node().id());
      node.put("lagEntries", p == null || p.lagEntries() < 0 ? null : p.lagEntries());
      node.put("lastContactMs", p == null || p.lastContactMs() < 0 ? null : p.lastContactMs());
      NodeStatus s = row.status();
      if (s != null) {
        node.put("role", s.role());
        node.put("term", s.term());
        node.put("commitIndex", s.commitIndex());
        node.put("appliedIndex", s.appliedIndex());
        node.put("snapshotIndex", s.snapshotIndex());
        node.put("diskUsedBytes", s.diskUsedBytes());
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

  /** Each other member's progress as the leader reported it; empty when the leader did not answer. */
  static Map<String, FollowerStatus> followerProgress(String leader, List<NodeRow> rows) {
    Map<String, FollowerStatus> out = new LinkedHashMap<>();
    for (NodeRow row : rows) {
      if (row.reachable() && row.node().id().equals(leader)) {
        for (FollowerStatus f : row.status().followers()) {
          out.put(f.id(), f);
        }
      }
    }
    return out;
  }

  /** Bytes for people: "512 B", "3.4 KiB", "12.0 MiB", "1.5 GiB". */
  static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  static boolean isBlank(String text) {
    return text == null || text.isBlank();
  }
}
