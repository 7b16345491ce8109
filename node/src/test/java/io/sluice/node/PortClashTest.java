package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose port is taken refuses to start with a message naming the port and its key, and
 * leaves nothing bound or running. Ratis's own reaction to a Raft port it cannot bind is
 * System.exit(1): without the node turning that off, the first test here ends this JVM.
 */
class PortClashTest {
  @TempDir
  Path tmp;

  private Map<String, String> config(int client, int raft) {
    return PublicTestCluster.singleNodeConfig(tmp.resolve("n1"), client, raft);
  }

  private static ServerSocket hold(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.bind(new InetSocketAddress("127.0.0.1", port));
    return s;
  }

  private static void assertFree(int port, String what) {
    try {
      hold(port).close();
    } catch (IOException e) {
      fail(what + " " + port + " is still bound after the refused start: " + e);
    }
  }

  @Test
  void aTakenRaftPortFailsTheStartWithAMessageAndTheJvmLivesOn() throws Exception {
    int client = TestCluster.freePort();
    int raft = TestCluster.freePort();
    IOException refused;
    try (ServerSocket taken = hold(raft)) {
      refused = assertThrows(IOException.class, () -> new SluiceNode(NodeConfig.of(config(client, raft))).start());
    }
    String message = refused.getMessage();
    assertTrue(message.contains("cannot listen for Raft on 127.0.0.1:" + raft + " (raft.listen)")
        && message.contains("in use"), message);
    assertFree(client, "the client port");

    // The same node starts once the port is free: the refused start damaged nothing.
    try (SluiceNode node = new SluiceNode(NodeConfig.of(config(client, raft))).start()) {
      TestCluster.await(Duration.ofSeconds(30), "n1 to lead", node::isLeader);
    }
  }

  @Test
  void aTakenClientPortFailsTheStartWithAMessageAndStopsRaftAgain() throws Exception {
    int client = TestCluster.freePort();
    int raft = TestCluster.freePort();
    IOException refused;
    try (ServerSocket taken = hold(client)) {
      refused = assertThrows(IOException.class, () -> new SluiceNode(NodeConfig.of(config(client, raft))).start());
    }
    String message = refused.getMessage();
    assertTrue(message.contains("cannot serve clients on 127.0.0.1:" + client + " (listen)")
        && message.contains("in use"), message);
    assertFree(raft, "the Raft port"); // Raft had started; the refused start stopped it

    try (SluiceNode node = new SluiceNode(NodeConfig.of(config(client, raft))).start()) {
      TestCluster.await(Duration.ofSeconds(30), "n1 to lead", node::isLeader);
    }
  }
}
