package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Fuzzes node configuration parsing ({@link NodeConfig#of}, {@link NodeConfig#load}): hostile
 * values for every key, and arbitrary bytes as a properties file (plus the corpus in
 * {@code src/test/resources/fuzz/node-config}). The only refusal is an
 * {@link IllegalArgumentException} (or an {@link IOException} for an unreadable file) with a
 * message; and a config that is accepted must be usable: every accessor the node calls at start
 * works (else a bad value surfaces later as a crash, far from its key). Bounded by tries.
 */
class NodeConfigFuzzTest {
  static final Path CORPUS = Paths.get("src/test/resources/fuzz/node-config");

  /** Accepts or refuses; an accepted config is then used as the node would. Returns whether accepted. */
  static boolean parse(Map<String, String> values) {
    NodeConfig c;
    try {
      c = NodeConfig.of(values);
    } catch (IllegalArgumentException e) {
      assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "refusal without a message");
      return false;
    }
    use(c);
    return true;
  }

  static void use(NodeConfig c) {
    c.dataDir();
    c.listen();
    c.advertisedListen();
    c.raftListen();
    c.httpListen();
    c.peers();
    c.limits();
    c.grpcInboundMessageBytesMax();
    // The keys the node reads with getInt (grep getInt in node/src/main).
    for (NodeConfig.Key k : List.of(NodeConfig.RECORD_BYTES_MAX, NodeConfig.BATCH_BYTES_MAX,
        NodeConfig.REQUEST_BYTES_MAX, NodeConfig.TOPIC_PARTITIONS_MAX, NodeConfig.PENDING_WRITES_MAX,
        NodeConfig.FETCH_BYTES_MAX, NodeConfig.SNAPSHOTS_RETAINED, NodeConfig.LOG_PURGE_GAP_ENTRIES,
        NodeConfig.METRICS_TOPICS_MAX, NodeConfig.MEMBERSHIP_CATCHUP_LAG_ENTRIES_MAX,
        NodeConfig.GRPC_INBOUND_METADATA_BYTES_MAX)) {
      c.getInt(k);
    }
  }

  @Property(tries = 1500)
  void hostileValuesAreRefusedWithAMessageOrUsable(@ForAll("configs") Map<String, String> values) {
    Statistics.label("outcome").collect(parse(values) ? "accepted" : "refused");
  }

  @Property(tries = 500)
  void arbitraryPropertiesFilesAreRefusedOrUsable(@ForAll @Size(max = 300) byte[] file) throws IOException {
    Path p = Files.createTempFile("fuzz", ".properties");
    try {
      Files.write(p, file);
      load(p);
    } finally {
      Files.delete(p);
    }
  }

  private static void load(Path p) {
    NodeConfig c;
    try {
      c = NodeConfig.load(p, Map.of());
    } catch (IllegalArgumentException | IOException e) {
      assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "refusal without a message: " + e);
      return;
    }
    use(c); // outside the try: an accepted config that fails in use is a bug, not a refusal
  }

  @Example
  void everyCorpusFileIsRefusedOrUsable() throws IOException {
    try (Stream<Path> files = Files.list(CORPUS)) {
      List<Path> all = files.filter(f -> f.toString().endsWith(".properties")).sorted().toList();
      assertFalse(all.isEmpty(), "no corpus in " + CORPUS.toAbsolutePath());
      all.forEach(NodeConfigFuzzTest::load);
    }
  }

  @Provide
  Arbitrary<Map<String, String>> configs() {
    Arbitrary<String> keys = Arbitraries.oneOf(
        Arbitraries.of(NodeConfig.keys().stream().map(NodeConfig.Key::name).toList()),
        Arbitraries.strings().ofMaxLength(12));
    Arbitrary<String> values = Arbitraries.oneOf(
        Arbitraries.longs().map(String::valueOf),
        Arbitraries.integers().between(-2, 70000).map(String::valueOf),
        Arbitraries.of("", " ", "true", "false", "0", "-1", "2147483648", "9223372036854775807",
            "127.0.0.1:0", "[::1]:7070", "host:", ":7070", "h:99999", "n1=127.0.0.1:7170", "a\u0000b",
            "n1=127.0.0.1:7170,n1=127.0.0.1:7171", "n1=", "=x:1"),
        Arbitraries.strings().ofMaxLength(20));
    return Arbitraries.maps(keys, values).ofMaxSize(6).map(extra -> {
      Map<String, String> m = new HashMap<>(Map.of("node.id", "n1", "data.dir", "/tmp/sluice-fuzz",
          "peers", "n1=127.0.0.1:7170", "raft.listen", "127.0.0.1:7170"));
      m.putAll(extra);
      return m;
    });
  }
}
