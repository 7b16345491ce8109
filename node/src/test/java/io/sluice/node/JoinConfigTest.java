package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code join} key: a node that starts outside the group, without {@code peers}. */
class JoinConfigTest {

  private static Map<String, String> joining() {
    Map<String, String> m = new HashMap<>();
    m.put("node.id", "n4");
    m.put("data.dir", "/tmp/x");
    m.put("raft.listen", "127.0.0.1:7173");
    m.put("join", "true");
    return m;
  }

  @Test
  void aJoiningNodeNeedsNoPeers() {
    NodeConfig c = NodeConfig.of(joining());
    assertTrue(c.join());
    assertEquals(Map.of(), c.peers());
  }

  @Test
  void joinAndPeersExcludeEachOther() {
    Map<String, String> both = joining();
    both.put("peers", "n1=127.0.0.1:7170,n4=127.0.0.1:7173");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(both)).getMessage()
        .contains("join and peers exclude each other"));
  }

  @Test
  void withoutJoinPeersAreRequired() {
    Map<String, String> neither = joining();
    neither.remove("join");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(neither)).getMessage()
        .contains("missing required configuration 'peers'"));
    neither.put("join", "yes");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(neither)).getMessage()
        .contains("join must be true or false"));
  }
}
