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

  /** Every node's client address, comma-separated. */
  public String bootstrap() {
    return cluster.bootstrap();
  }

  @Override
  public void close() {
    cluster.close();
  }
}
