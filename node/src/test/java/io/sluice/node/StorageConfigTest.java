package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.statemachine.StorageCompression;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code storage.*} tuning keys of the state database. */
class StorageConfigTest {

  private static Map<String, String> node() {
    Map<String, String> m = new HashMap<>();
    m.put("node.id", "n1");
    m.put("data.dir", "/tmp/x");
    m.put("raft.listen", "127.0.0.1:7173");
    m.put("peers", "n1=127.0.0.1:7173");
    return m;
  }

  @Test
  void compressionDefaultsToLz4AndTakesEachName() {
    assertEquals(StorageCompression.LZ4, NodeConfig.of(node()).storageCompression());
    for (String name : new String[] {"none", "lz4", "zstd"}) {
      Map<String, String> m = node();
      m.put("storage.compression", name);
      assertEquals(name, NodeConfig.of(m).storageCompression().configName());
    }
  }

  @Test
  void anUnknownCompressionIsAConfigurationError() {
    Map<String, String> m = node();
    m.put("storage.compression", "snappy");
    String message = assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(m)).getMessage();
    assertTrue(message.contains("storage.compression must be none, lz4 or zstd, got 'snappy'"), message);
  }
}
