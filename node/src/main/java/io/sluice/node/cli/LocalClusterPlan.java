package io.sluice.node.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * The nodes of a local development cluster and the command lines that run them. Node {@code nI}
 * (1-based) listens for clients on {@code basePort + I - 1}, for peers on {@code raftBasePort +
 * I - 1} and for HTTP (metrics, health) on {@code httpBasePort + I - 1}, all on 127.0.0.1, and
 * keeps its data in {@code dataDir/nI}.
 *
 * <p>Immutable and thread-safe.
 */
final class LocalClusterPlan {

  static final String HOST = "127.0.0.1";
  static final int HTTP_BASE_PORT_DEFAULT = 7270;

  /** One node of the plan. */
  record Node(String id, int clientPort, int raftPort, int httpPort, Path dataDir) {
    String clientAddress() {
      return HOST + ":" + clientPort;
    }

    String raftAddress() {
      return HOST + ":" + raftPort;
    }

    String httpAddress() {
      return HOST + ":" + httpPort;
    }

    Path logFile() {
      return dataDir.resolve("node.log");
    }
  }

  private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

  private final List<Node> nodes;
  private final Path tlsDir; // null: plaintext

  private LocalClusterPlan(List<Node> nodes, Path tlsDir) {
    this.nodes = List.copyOf(nodes);
    this.tlsDir = tlsDir;
  }

  /** This plan with TLS: node nI uses {@code dir/nI.crt}, {@code dir/nI.key} and {@code dir/ca.crt} (`certs dev`). */
  LocalClusterPlan withTls(Path dir) {
    return new LocalClusterPlan(nodes, dir.toAbsolutePath().normalize());
  }

  /** The certificates directory, or null without TLS. */
  Path tlsDir() {
    return tlsDir;
  }

  /** A plan with the default HTTP ports ({@value #HTTP_BASE_PORT_DEFAULT} and up). */
  static LocalClusterPlan of(int nodeCount, Path dataDir, int basePort, int raftBasePort) {
    return of(nodeCount, dataDir, basePort, raftBasePort, HTTP_BASE_PORT_DEFAULT);
  }

  /**
   * @param dataDir the cluster's directory; made absolute so printed commands work from anywhere
   * @throws IllegalArgumentException when a port range leaves 1-65535 or two ranges overlap
   */
  static LocalClusterPlan of(int nodeCount, Path dataDir, int basePort, int raftBasePort, int httpBasePort) {
    checkRange("--base-port", basePort, nodeCount);
    checkRange("--raft-base-port", raftBasePort, nodeCount);
    checkRange("--http-base-port", httpBasePort, nodeCount);
    checkApart("client", basePort, "raft", raftBasePort, nodeCount);
    checkApart("client", basePort, "http", httpBasePort, nodeCount);
    checkApart("raft", raftBasePort, "http", httpBasePort, nodeCount);
    Path root = dataDir.toAbsolutePath().normalize();
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < nodeCount; i++) {
      String id = "n" + (i + 1);
      nodes.add(new Node(id, basePort + i, raftBasePort + i, httpBasePort + i, root.resolve(id)));
    }
    return new LocalClusterPlan(nodes, null);
  }

  private static void checkApart(String a, int aBase, String b, int bBase, int count) {
    if (aBase < bBase + count && bBase < aBase + count) {
      throw new IllegalArgumentException(
          a + " ports " + range(aBase, count) + " overlap " + b + " ports " + range(bBase, count));
    }
  }

  private static void checkRange(String option, int base, int count) {
    if (base < 1 || base + count - 1 > 65535) {
      throw new IllegalArgumentException(
          option + " " + base + " gives ports " + range(base, count) + ", outside 1-65535");
    }
  }

  private static String range(int base, int count) {
    return base + "-" + (base + count - 1);
  }

  List<Node> nodes() {
    return nodes;
  }

  List<String> clientAddresses() {
    return nodes.stream().map(Node::clientAddress).toList();
  }

  /** {@code n1=127.0.0.1:7170,n2=127.0.0.1:7171,…}: every member's Raft address. */
  String peers() {
    StringJoiner peers = new StringJoiner(",");
    nodes.forEach(node -> peers.add(node.id() + "=" + node.raftAddress()));
    return peers.toString();
  }

  /** The {@code sluice} arguments that run {@code node}. */
  List<String> serverArgs(Node node) {
    List<String> args = new ArrayList<>(List.of(
        "server",
        "--id",
        node.id(),
        "--data-dir",
        node.dataDir().toString(),
        "--listen",
        node.clientAddress(),
        "--raft-listen",
        node.raftAddress(),
        "--http-listen",
        node.httpAddress(),
        "--peers",
        peers()));
    if (tlsDir != null) {
      args.addAll(List.of("--tls-cert", tlsDir.resolve(node.id() + ".crt").toString(),
          "--tls-key", tlsDir.resolve(node.id() + ".key").toString(),
          "--tls-client-ca", tlsDir.resolve("ca.crt").toString()));
    }
    return args;
  }

  /** The child JVM's full command line. */
  List<String> childCommand(
      String javaBinary, List<String> jvmOptions, String classPath, long parentPid, Node node) {
    List<String> command = new ArrayList<>();
    command.add(javaBinary);
    command.addAll(jvmOptions);
    command.add("-Dsluice.parent.pid=" + parentPid);
    command.add("-cp");
    command.add(classPath);
    command.add(SluiceCli.class.getName());
    command.addAll(serverArgs(node));
    return command;
  }

  /** A shell command that starts {@code node} again by hand. */
  String restartCommand(String sluiceScript, Node node) {
    StringJoiner command = new StringJoiner(" ");
    command.add(shellQuote(sluiceScript));
    serverArgs(node).forEach(arg -> command.add(shellQuote(arg)));
    return command.toString();
  }

  static String shellQuote(String word) {
    if (SHELL_SAFE.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
