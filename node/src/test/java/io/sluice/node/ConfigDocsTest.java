package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's configuration tables are generated from NodeConfig and TopicConfigs; this keeps them equal.
 * Regenerate with {@code ./mvnw -pl node test -Dtest=ConfigDocsTest -Dsluice.docs.rewrite=true}.
 */
class ConfigDocsTest {
  private static final Path README = Path.of("..", "README.md");

  @Test
  void readmeTablesMatchTheirSources() throws IOException {
    String readme = Files.readString(README);
    String updated = section(readme, "config-table", NodeConfig.markdownTable());
    updated = section(updated, "topic-config-table", io.sluice.statemachine.TopicConfigs.markdownTable());
    if (Boolean.getBoolean("sluice.docs.rewrite")) {
      Files.writeString(README, updated);
      return;
    }
    assertEquals(readme, updated, "README configuration tables are stale; regenerate them (see this test's Javadoc)");
  }

  /** {@code text} with the generated part between the markers named {@code name} replaced. */
  private static String section(String text, String name, String generated) {
    String begin = "<!-- " + name + ":begin (generated; do not edit) -->\n";
    String end = "<!-- " + name + ":end -->";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    assertTrue(b >= 0 && e > b, "README.md lacks the " + name + " markers");
    return text.substring(0, b + begin.length()) + generated + text.substring(e);
  }

  private static Map<String, String> minimal() {
    Map<String, String> m = new HashMap<>();
    m.put("node.id", "n1");
    m.put("data.dir", "/tmp/x");
    m.put("raft.listen", "127.0.0.1:7170");
    m.put("peers", "n1=127.0.0.1:7170,n2=127.0.0.1:7171,n3=127.0.0.1:7172");
    return m;
  }

  @Test
  void defaultsApplyAndBadValuesSayWhatIsWrong() {
    NodeConfig c = NodeConfig.of(minimal());
    assertEquals(1 << 20, c.getInt(NodeConfig.RECORD_BYTES_MAX));
    assertEquals(3, c.peers().size());

    Map<String, String> typo = minimal();
    typo.put("record.byte.max", "5");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(typo)).getMessage()
        .contains("unknown configuration key 'record.byte.max'"));

    Map<String, String> missing = minimal();
    missing.remove("peers");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(missing)).getMessage()
        .contains("missing required configuration 'peers'"));

    Map<String, String> notMember = minimal();
    notMember.put("node.id", "n9");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(notMember)).getMessage()
        .contains("not among peers"));

    Map<String, String> wrongRaft = minimal();
    wrongRaft.put("raft.listen", "127.0.0.1:9999");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(wrongRaft)).getMessage()
        .contains("raft.listen"));

    Map<String, String> notNumber = minimal();
    notNumber.put("commit.timeout.ms", "soon");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(notNumber)).getMessage()
        .contains("commit.timeout.ms must be a number"));

    Map<String, String> badPeers = minimal();
    badPeers.put("peers", "n1=127.0.0.1:7170,n2");
    assertTrue(assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(badPeers)).getMessage()
        .contains("not id=host:port"));
  }
}
