package io.sluice.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@link TestCluster} for tests in other packages (the CLI's): start, bootstrap, close. */
public final class PublicTestCluster implements AutoCloseable {
  private final TestCluster cluster;

  private PublicTestCluster(TestCluster cluster) {
    this.cluster = cluster;
  }

  /** Starts {@code size} in-JVM nodes under {@code root} and waits for a leader. */
  public static PublicTestCluster start(Path root, int size) throws IOException {
    return new PublicTestCluster(TestCluster.start(root, size, Map.of()));
  }

  /** Like {@link #start(Path, int)}, with extra configuration keys on every node. */
  public static PublicTestCluster start(Path root, int size, Map<String, String> extra) throws IOException {
    return new PublicTestCluster(TestCluster.start(root, size, extra));
  }

  /**
   * A free port on 127.0.0.1 below the ephemeral range, so that no outgoing connection of this JVM
   * (which takes ephemeral ports) can take it between this call and the node's bind.
   */
  public static int freePort() throws IOException {
    return TestCluster.freePort();
  }

  /**
   * The configuration of a one-node cluster "n1" on 127.0.0.1 with these ports, its data in
   * {@code dataDir}, the product's election timeouts and a free HTTP port; mutable, to add to.
   */
  public static Map<String, String> singleNodeConfig(Path dataDir, int clientPort, int raftPort) {
    Map<String, String> c = nodeConfig("n1", dataDir, clientPort, raftPort);
    c.put("peers", "n1=127.0.0.1:" + raftPort);
    return c;
  }

  /**
   * A node {@code id} on 127.0.0.1 with these ports, its data in {@code dataDir}, the product's
   * election timeouts and a free HTTP port, without peers (the caller adds peers or a join);
   * mutable, to add to.
   */
  public static Map<String, String> nodeConfig(String id, Path dataDir, int clientPort, int raftPort) {
    Map<String, String> c = new java.util.LinkedHashMap<>();
    c.put("node.id", id);
    c.put("data.dir", dataDir.toString());
    c.put("listen", "127.0.0.1:" + clientPort);
    c.put("raft.listen", "127.0.0.1:" + raftPort);
    c.put("raft.election.timeout.min.ms", "1000");
    c.put("raft.election.timeout.max.ms", "2000");
    c.put("http.listen", "127.0.0.1:0"); // several nodes in one JVM: no fixed HTTP port
    return c;
  }

  /** Every node's client address, comma-separated. */
  public String bootstrap() {
    return cluster.bootstrap();
  }

  @Override
  public void close() {
    cluster.close();
  }
}
