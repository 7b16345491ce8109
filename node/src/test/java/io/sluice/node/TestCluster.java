package io.sluice.node;

import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import io.sluice.statemachine.LogCore;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * N real nodes in this JVM on loopback, each with its own ports and data directory. "Killing" a
 * node stops it without the graceful steps (no draining, no leadership hand-off), as near a crash
 * as one JVM gets; "stopping" it is the graceful stop SIGTERM runs. Restarting opens the same
 * directory with the same configuration. Nodes added later start with {@code join}.
 */
final class TestCluster implements AutoCloseable {
  final Path root;
  final Map<String, Map<String, String>> configs = new LinkedHashMap<>();
  final Map<String, SluiceNode> nodes = new LinkedHashMap<>();
  final Map<String, AtomicLong> freeBytes = new LinkedHashMap<>();

  TestCluster(Path root, int size, Map<String, String> extra) throws IOException {
    this.root = root;
    List<String> peers = new ArrayList<>();
    Map<String, int[]> ports = new LinkedHashMap<>();
    for (int i = 1; i <= size; i++) {
      int[] p = {freePort(), freePort()};
      ports.put("n" + i, p);
      peers.add("n" + i + "=127.0.0.1:" + p[1]);
    }
    this.extra = extra;
    for (var e : ports.entrySet()) {
      Map<String, String> c = nodeConfig(e.getKey(), e.getValue());
      c.put("peers", String.join(",", peers));
      c.putAll(extra);
      configs.put(e.getKey(), c);
      freeBytes.put(e.getKey(), new AtomicLong(Long.MAX_VALUE));
    }
  }

  private final Map<String, String> extra;

  private Map<String, String> nodeConfig(String id, int[] ports) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("node.id", id);
    c.put("data.dir", root.resolve(id).toString());
    c.put("listen", "127.0.0.1:" + ports[0]);
    c.put("raft.listen", "127.0.0.1:" + ports[1]);
    // The product's defaults (1000-2000 ms, 10 s). Shorter ones made elections under load routine:
    // with 600-1200 ms a leader starved of CPU for a moment lost its term ("Lost leadership on term
    // 2. Election timeout: 1200ms") and with a 3 s commit timeout a write slowed by load ended
    // "outcome unknown"; the tests that stop nodes on purpose lose well under a second per failover.
    c.put("raft.election.timeout.min.ms", "1000");
    c.put("raft.election.timeout.max.ms", "2000");
    c.put("commit.timeout.ms", "10000");
    c.put("http.listen", "127.0.0.1:0"); // a free port each start; read it back with httpAddress()
    return c;
  }

  /**
   * Configures (does not start) a new node with {@code join}: outside the group until the leader
   * adds it. Returns its Raft address, for add-node.
   */
  String configureJoiner(String id) throws IOException {
    Map<String, String> c = nodeConfig(id, new int[] {freePort(), freePort()});
    c.put("join", "true");
    c.putAll(extra);
    configs.put(id, c);
    freeBytes.put(id, new AtomicLong(Long.MAX_VALUE));
    return c.get("raft.listen");
  }

  static TestCluster start(Path root, int size, Map<String, String> extra) throws IOException {
    TestCluster c = new TestCluster(root, size, extra);
    for (String id : c.configs.keySet()) {
      c.startNode(id);
    }
    c.awaitLeader(Duration.ofSeconds(30));
    c.awaitRegistered(Duration.ofSeconds(30));
    return c;
  }

  /** Ports handed out in this JVM: a probed port stays free until its node binds it. */
  private static final Set<Integer> PORTS_TAKEN = ConcurrentHashMap.newKeySet();

  /**
   * A loopback port in 30000-32767 that is free now and not handed out before: below Linux's
   * ephemeral range, so no outgoing connection can be holding it.
   */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 500; attempt++) {
      int port = 30000 + ThreadLocalRandom.current().nextInt(2768);
      if (!PORTS_TAKEN.add(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException busy) {
        // taken by another process; try another
      }
    }
    throw new IOException("no free port in 30000-32767 after 500 tries");
  }

  SluiceNode startNode(String id) throws IOException {
    AtomicLong free = freeBytes.get(id);
    SluiceNode node = new SluiceNode(NodeConfig.of(configs.get(id)), free::get).start();
    nodes.put(id, node);
    return node;
  }

  void kill(String id) {
    SluiceNode n = nodes.remove(id);
    if (n != null) {
      n.stopWithoutHandOff();
    }
  }

  /** The graceful stop (what SIGTERM runs). */
  void stop(String id) {
    SluiceNode n = nodes.remove(id);
    if (n != null) {
      n.close();
    }
  }

  String bootstrap() {
    return configs.values().stream().map(c -> c.get("listen")).collect(Collectors.joining(","));
  }

  String clientAddress(String id) {
    return configs.get(id).get("listen");
  }

  Optional<SluiceNode> leader() {
    return nodes.values().stream().filter(SluiceNode::isLeader).findFirst();
  }

  /**
   * Waits for a leader ready to serve and returns its id. Reads the leader once per look: an
   * election may end a leadership between two looks.
   */
  String awaitLeader(Duration timeout) {
    java.util.concurrent.atomic.AtomicReference<String> found = new java.util.concurrent.atomic.AtomicReference<>();
    await(timeout, "a leader among " + nodes.keySet(), () -> {
      Optional<SluiceNode> l = leader();
      if (l.isPresent() && l.get().division().getInfo().isLeaderReady()) {
        found.set(l.get().id());
        return true;
      }
      return false;
    });
    return found.get();
  }

  /** The leader, waiting (at most 60 s) while an election runs rather than finding none. */
  SluiceNode currentLeader() {
    return nodes.get(awaitLeader(Duration.ofSeconds(60)));
  }

  /**
   * The leader and its term as every running node sees them now: present only when all of them
   * agree on one leader that is itself ready to lead.
   */
  record LeaderTerm(String id, long term) {}

  Optional<LeaderTerm> agreedLeader() {
    Optional<SluiceNode> l = leader();
    if (l.isEmpty() || !l.get().division().getInfo().isLeaderReady()) {
      return Optional.empty();
    }
    long term = l.get().division().getInfo().getCurrentTerm();
    for (SluiceNode n : nodes.values()) {
      if (!n.leaderId().equals(Optional.of(l.get().id())) || n.division().getInfo().getCurrentTerm() != term) {
        return Optional.empty();
      }
    }
    return Optional.of(new LeaderTerm(l.get().id(), term));
  }

  /**
   * Makes an observation that depends on who leads (scrapes, a look at roles) while leadership
   * stays put: {@code observe} gets the leader's id and runs again, until {@code timeout}, whenever
   * the leader or the term changed while it ran. An election under load may move the leader at
   * any moment; what is observed in one term is then consistent, and asserting on it still
   * catches a wrong value.
   */
  <T> T observeUnderStableLeader(Duration timeout, java.util.function.Function<String, T> observe) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String lastSeen = "none";
    while (System.nanoTime() < deadline) {
      Optional<LeaderTerm> before = agreedLeader();
      if (before.isPresent()) {
        T seen = observe.apply(before.get().id());
        Optional<LeaderTerm> after = agreedLeader();
        if (before.equals(after)) {
          return seen;
        }
        lastSeen = before.get() + " then " + after.map(Object::toString).orElse("no agreed leader");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
    throw new AssertionError("no leader stayed in place for one observation within " + timeout + " (last: "
        + lastSeen + ")");
  }

  void awaitRegistered(Duration timeout) {
    await(timeout, "every node's client address registered", () -> nodes.values().stream()
        .allMatch(n -> n.core().nodes().keySet().containsAll(nodes.keySet())));
  }

  /** Waits until every running node has applied the same index, at least {@code minIndex}. */
  void awaitConverged(Duration timeout) {
    await(timeout, "replicas to converge", () -> {
      long commit = leader().map(l -> l.division().getRaftLog().getLastCommittedIndex()).orElse(-1L);
      return commit > 0 && nodes.values().stream().allMatch(n -> n.core().applied().index() == commit);
    });
  }

  /** Every stored key and value of a node, in order (the applied-index key included). */
  static byte[] dump(SluiceNode node) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    node.core().forEachEntry((k, v) -> {
      out.writeBytes(Integer.toString(k.length).getBytes());
      out.writeBytes(k);
      out.writeBytes(Integer.toString(v.length).getBytes());
      out.writeBytes(v);
    });
    return out.toByteArray();
  }

  /** Every record of every partition of {@code topic} as stored on {@code node}, by offset. */
  static Map<Integer, List<Record>> readAll(SluiceNode node, String topic) {
    Map<Integer, List<Record>> out = new LinkedHashMap<>();
    LogCore.TopicView view = node.core().topicView(topic).orElseThrow();
    for (int p = 0; p < view.partitions().size(); p++) {
      List<Record> records = new ArrayList<>();
      long offset = view.partitions().get(p).getLogStartOffset();
      while (true) {
        LogCore.ReadResult r = node.core().read(topic, p, offset, 1 << 20);
        if (r.batches().isEmpty()) {
          break;
        }
        for (byte[] b : r.batches()) {
          for (Record rec : RecordBatch.read(ByteBuffer.wrap(b))) {
            if (rec.offset() >= offset) {
              records.add(rec);
            }
          }
          offset = RecordBatch.lastOffset(ByteBuffer.wrap(b)) + 1;
        }
      }
      out.put(p, records);
    }
    return out;
  }

  /** Waits until the running replicas converge, then checks that their stored bytes are identical. */
  void assertReplicasIdentical() {
    awaitConverged(Duration.ofSeconds(60));
    byte[] reference = null;
    String first = null;
    for (SluiceNode node : nodes.values()) {
      byte[] dump = dump(node);
      if (reference == null) {
        reference = dump;
        first = node.id();
      } else if (!Arrays.equals(reference, dump)) {
        throw new AssertionError(node.id() + "'s stored bytes differ from " + first + "'s");
      }
    }
  }

  static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  @Override
  public void close() {
    for (String id : new ArrayList<>(nodes.keySet())) {
      kill(id);
    }
  }

  /**
   * The regular files under {@code root}, which running nodes may be writing: a walk that meets a
   * file renamed away meanwhile (an atomic replace through a {@code .tmp} file, a rolled segment)
   * walks the whole tree again, up to 5 times.
   */
  static List<Path> regularFiles(Path root) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try (Stream<Path> files = Files.walk(root)) {
        return files.filter(Files::isRegularFile).toList();
      } catch (UncheckedIOException e) {
        if (!(e.getCause() instanceof NoSuchFileException) || attempt == 5) {
          throw e;
        }
      }
    }
  }
}
