package io.sluice.node.cli;

import io.sluice.client.ClusterInfo;
import io.sluice.client.SluiceClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code sluice local-cluster}: the one-command developer cluster. Each node is a separate child
 * JVM running {@code sluice server}; this process supervises them until Ctrl-C.
 */
@Command(
    name = "local-cluster",
    mixinStandardHelpOptions = true,
    description = {
      "Run a cluster of separate node processes on 127.0.0.1 until Ctrl-C.",
      "Node nI listens on base-port+I-1 (clients), raft-base-port+I-1 (peers) and"
          + " http-base-port+I-1 (/metrics, /health/ready), keeps its data in DATA_DIR/nI and"
          + " logs to DATA_DIR/nI/node.log.",
      "Set SLUICE_NODE_JAVA_OPTS to pass JVM options to the nodes."
    })
final class LocalClusterCommand implements Callable<Integer> {

  private static final Duration LEADER_POLL_INTERVAL = Duration.ofMillis(250);
  private static final Duration LEADER_POLL_REQUEST_TIMEOUT = Duration.ofSeconds(2);

  @Spec CommandSpec spec;

  @Option(
      names = "--nodes",
      paramLabel = "N",
      defaultValue = "3",
      description = "Number of nodes: 1, 3 or 5 (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Where the nodes keep their data (default: $SLUICE_HOME/data/local,"
              + " else ./data/local).")
  Path dataDir;

  @Option(
      names = "--base-port",
      paramLabel = "PORT",
      defaultValue = "7070",
      description =
          "Client port of n1; n2 gets the next one, and so on (default: ${DEFAULT-VALUE}).")
  int basePort;

  @Option(
      names = "--raft-base-port",
      paramLabel = "PORT",
      defaultValue = "7170",
      description = "Raft port of n1; n2 gets the next one, and so on (default: ${DEFAULT-VALUE}).")
  int raftBasePort;

  @Option(
      names = "--http-base-port",
      paramLabel = "PORT",
      defaultValue = "7270",
      description =
          "HTTP port (/metrics, /health/*) of n1; n2 gets the next one, and so on"
              + " (default: ${DEFAULT-VALUE}).")
  int httpBasePort;

  @Option(
      names = "--startup-timeout-ms",
      paramLabel = "MS",
      defaultValue = "60000",
      description = "How long to wait for a leader before warning (default: ${DEFAULT-VALUE}).")
  long startupTimeoutMs;

  @Option(
      names = "--tls",
      paramLabel = "DIR",
      description = "Run with TLS (clients and Raft) using the certificates in DIR; when DIR has no ca.crt,"
          + " make them first as `sluice certs dev --out DIR` does.")
  Path tlsDir;

  @Option(
      names = {"-v", "--verbose"},
      description = "Log more, and print stack traces with errors.")
  boolean verbose;

  @Override
  public Integer call() throws InterruptedException {
    LocalClusterPlan plan = plan();
    refuseBusyPorts(plan);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String script = sluiceScript();
    NodeSupervisor supervisor =
        new NodeSupervisor(
            out,
            err,
            plan.nodes().size(),
            node -> plan.restartCommand(script, node),
            NodeSupervisor.STOP_GRACE_DEFAULT);
    // Registered before the first start, so Ctrl-C during startup stops what has started.
    Thread hook = new Thread(supervisor::stopAll, "sluice-local-cluster-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    List<NodeSupervisor.Child> children = startAll(plan, supervisor, hook);
    printNodes(out, plan, children);
    String leader = awaitLeader(plan, supervisor);
    if (leader != null) {
      printReady(out, leader, script);
    } else if (supervisor.anyAlive()) {
      err.printf(
          "sluice: warning: no leader after %d ms; the nodes keep running, see their logs in %s%n",
          startupTimeoutMs, plan.nodes().get(0).dataDir().getParent());
    }
    supervisor.awaitAllExited();
    if (supervisor.isStopping()) {
      return SluiceCli.EXIT_OK;
    }
    removeHook(hook);
    throw new CliException(
        "every node has exited; see the logs in " + plan.nodes().get(0).dataDir().getParent());
  }

  private LocalClusterPlan plan() {
    if (nodes != 1 && nodes != 3 && nodes != 5) {
      throw new ParameterException(spec.commandLine(), "--nodes must be 1, 3 or 5, got " + nodes);
    }
    Validate.positive(spec, "--startup-timeout-ms", startupTimeoutMs);
    LocalClusterPlan plan;
    try {
      plan = LocalClusterPlan.of(
          nodes, dataDir != null ? dataDir : defaultDataDir(), basePort, raftBasePort, httpBasePort);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    return tlsDir == null ? plan : prepareTls(plan);
  }

  /** Makes the certificates when missing (or a node's is), and returns the plan with TLS. */
  private LocalClusterPlan prepareTls(LocalClusterPlan plan) {
    List<String> ids = plan.nodes().stream().map(LocalClusterPlan.Node::id).toList();
    boolean complete = java.nio.file.Files.exists(tlsDir.resolve("ca.crt"))
        && java.nio.file.Files.exists(tlsDir.resolve("client.crt"))
        && ids.stream().allMatch(id -> java.nio.file.Files.exists(tlsDir.resolve(id + ".key")));
    if (!complete) {
      try {
        io.sluice.node.security.DevCertificates.writeDev(tlsDir, ids, List.of(),
            io.sluice.node.security.DevCertificates.DEFAULT_DAYS, io.sluice.node.security.DevCertificates.DEFAULT_CLIENT);
      } catch (IOException | IllegalArgumentException e) {
        throw new CliException("cannot write development certificates to " + tlsDir + ": " + e.getMessage(), e);
      }
      spec.commandLine().getOut().printf("wrote development certificates to %s (sluice certs dev)%n", tlsDir);
    }
    return plan.withTls(tlsDir);
  }

  static Path defaultDataDir() {
    String home = System.getenv("SLUICE_HOME");
    return home != null && !home.isBlank()
        ? Path.of(home, "data", "local")
        : Path.of("data", "local");
  }

  /** Exit 1 before starting anything when a port of the plan cannot be bound. */
  static void refuseBusyPorts(LocalClusterPlan plan) {
    for (LocalClusterPlan.Node node : plan.nodes()) {
      checkFree(node.clientPort(), "client port of " + node.id());
      checkFree(node.raftPort(), "raft port of " + node.id());
      checkFree(node.httpPort(), "http port of " + node.id());
    }
  }

  private static void checkFree(int port, String role) {
    if (!isFree(port)) {
      throw new CliException(
          "port "
              + port
              + " ("
              + role
              + ") is already in use on "
              + LocalClusterPlan.HOST
              + "; is a cluster already running? Pick other ports with --base-port,"
              + " --raft-base-port and --http-base-port");
    }
  }

  static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      // Reuse lets us bind next to connections in TIME_WAIT from a cluster that just stopped;
      // a listening socket still makes the bind fail.
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(LocalClusterPlan.HOST, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private List<NodeSupervisor.Child> startAll(
      LocalClusterPlan plan, NodeSupervisor supervisor, Thread hook) {
    String java = javaBinary();
    String classPath = System.getProperty("java.class.path");
    long pid = ProcessHandle.current().pid();
    List<String> jvmOptions = nodeJvmOptions();
    List<NodeSupervisor.Child> children = new java.util.ArrayList<>();
    for (LocalClusterPlan.Node node : plan.nodes()) {
      try {
        children.add(
            supervisor.start(node, plan.childCommand(java, jvmOptions, classPath, pid, node)));
      } catch (IOException e) {
        supervisor.stopAll();
        removeHook(hook);
        throw new CliException("could not start " + node.id() + ": " + CliErrors.describe(e), e);
      }
    }
    return children;
  }

  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static List<String> nodeJvmOptions() {
    String options = System.getenv("SLUICE_NODE_JAVA_OPTS");
    if (options == null || options.isBlank()) {
      return List.of();
    }
    return Arrays.asList(options.trim().split("\\s+"));
  }

  /** How to run the CLI script, for printed commands: relative when under the current directory. */
  static String sluiceScript() {
    String home = System.getenv("SLUICE_HOME");
    if (home == null || home.isBlank()) {
      return "bin/sluice";
    }
    Path script = Path.of(home, "bin", "sluice").toAbsolutePath().normalize();
    Path workingDir = Path.of("").toAbsolutePath();
    return script.startsWith(workingDir)
        ? workingDir.relativize(script).toString()
        : script.toString();
  }

  private static void printNodes(
      PrintWriter out, LocalClusterPlan plan, List<NodeSupervisor.Child> children) {
    out.printf(
        "started a %d-node local cluster in %s%n",
        children.size(), plan.nodes().get(0).dataDir().getParent());
    Table table = new Table("ID", "CLIENT-ADDRESS", "RAFT-ADDRESS", "HTTP-ADDRESS", "PID", "LOG");
    for (NodeSupervisor.Child child : children) {
      LocalClusterPlan.Node node = child.node();
      table.row(
          node.id(),
          node.clientAddress(),
          node.raftAddress(),
          node.httpAddress(),
          child.process().pid(),
          node.logFile());
    }
    table.print(out);
    out.println("waiting for a leader...");
  }

  /** Polls the cluster until some node names a leader; null on timeout or when all nodes died. */
  private String awaitLeader(LocalClusterPlan plan, NodeSupervisor supervisor)
      throws InterruptedException {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(startupTimeoutMs);
    SluiceClient.Builder builder = SluiceClient.builder()
        .bootstrap(plan.clientAddresses())
        .requestTimeout(LEADER_POLL_REQUEST_TIMEOUT);
    if (plan.tlsDir() != null) {
      builder.tlsTrustCertificates(plan.tlsDir().resolve("ca.crt"));
    }
    try (SluiceClient sluice = builder.build()) {
      while (System.nanoTime() < deadlineNanos
          && supervisor.anyAlive()
          && !supervisor.isStopping()) {
        try {
          ClusterInfo cluster =
              sluice
                  .admin()
                  .describeCluster()
                  .get(LEADER_POLL_REQUEST_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
          if (cluster.leaderId() != null && !cluster.leaderId().isBlank()) {
            return cluster.leaderId();
          }
        } catch (ExecutionException | TimeoutException notUpYet) {
          // Nodes refuse connections until they listen, and answer NO_LEADER until elected.
        }
        Thread.sleep(LEADER_POLL_INTERVAL.toMillis());
      }
    }
    return null;
  }

  private void printReady(PrintWriter out, String leader, String script) {
    String bootstrap =
        basePort == 7070 ? "" : " --bootstrap " + LocalClusterPlan.HOST + ":" + basePort;
    if (tlsDir != null) {
      Path dir = tlsDir.toAbsolutePath().normalize();
      bootstrap += " --tls-ca " + dir.resolve("ca.crt");
      out.printf("TLS on (clients and Raft); client certificate for mutual TLS: --tls-cert %s --tls-key %s%n",
          dir.resolve("client.crt"), dir.resolve("client.key"));
    }
    out.printf("cluster ready: leader %s%n", leader);
    out.println("try, in another terminal:");
    out.printf("  %s topic create demo --partitions 3%s%n", script, bootstrap);
    out.printf("  seq 1 100000 | %s produce --topic demo%s%n", script, bootstrap);
    out.printf(
        "  %s consume --topic demo --from-beginning --max-records 10%s%n", script, bootstrap);
    out.printf("  %s cluster status%s%n", script, bootstrap);
    out.printf("  curl -s http://%s/metrics | grep ^sluice_raft   # metrics; /health/ready for readiness%n",
        LocalClusterPlan.HOST + ":" + httpBasePort);
    out.println("Ctrl-C stops the cluster.");
    out.flush();
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shutdownInProgress) {
      // The hook is running; it stops the nodes.
    }
  }
}
