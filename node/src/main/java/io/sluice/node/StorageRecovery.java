package io.sluice.node;

import io.sluice.client.IndeterminateException;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does when its storage is damaged (a Raft log entry failing its CRC, a snapshot or
 * the state database failing a RocksDB checksum): it recovers from its peers, safely under Raft.
 * Design and safety argument in {@code docs/dev/storage-recovery.md}; in short:
 *
 * <ol>
 *   <li>The damaged storage is never served or applied: damage is found while the Raft server
 *       starts, before the client port opens, and the server is closed at once.
 *   <li>A marker file ({@value #MARKER}) is written first. While it exists the node never starts
 *       from its local Raft storage again, whatever happens next (crash, restart, timeout).
 *   <li>The node asks the cluster, through the client port of a peer (AdminService RemoveNode,
 *       which the leader runs through {@link QuorumRule} and joint consensus), to remove its old
 *       identity. Its own Raft server is not running meanwhile, so it cannot vote: a member that
 *       lost acknowledged entries must not vote as if it had them (it could elect a leader that
 *       misses committed entries). If the voters left would have no reachable majority (e.g. 2 of
 *       3 down), the leader refuses, the node retries with backoff until
 *       {@code storage.damage.recovery.timeout.ms}, then refuses to start with a message; the
 *       cluster's membership is unchanged, so nothing is wedged.
 *   <li>Only once it is out of the configuration does the node move {@code raft/} and
 *       {@code state/} into {@code data.dir/damaged-<UTC time>/} (kept for forensics, never read
 *       again) and start empty, outside any configuration, like a node started with
 *       {@code join}: it grants no votes (Ratis refuses a candidate that is not in the voter's
 *       configuration).
 *   <li>It asks the cluster to add it back (AddNode): Ratis stages it (sends it the log or a
 *       snapshot while it does not vote) and makes it a voter once it is within
 *       {@code membership.catchup.lag.entries.max} entries; the node then waits until it has
 *       applied the commit index it knows, deletes the marker, and only then serves clients.
 * </ol>
 *
 * <p>A single-node cluster, or a node that knows no peer's client address, cannot recover from
 * peers and refuses to start with the manual procedure. The peers' client addresses come from
 * {@value #CONTACTS}, a copy of the replicated node directory the node keeps up to date while it
 * runs (outside the storage it may have to discard), and from the state database when it loaded.
 *
 * <p>Not thread-safe: used by the thread that starts the node (and the contacts writer by the
 * node's scheduler thread only).
 */
final class StorageRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(StorageRecovery.class);
  /** While this file exists in data.dir, the local Raft storage must not be started from. */
  static final String MARKER = "recovery.pending";
  /** The cluster's client addresses (node id = host:port), as last seen while running. */
  static final String CONTACTS = "cluster.contacts";
  /** Prefix of the directories the damaged storage is moved into. */
  static final String DAMAGED_PREFIX = "damaged-";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
      .withZone(ZoneOffset.UTC);
  /** Backoff between rounds of asking the peers: from this, doubling, up to {@link #BACKOFF_MS_MAX}. */
  private static final long BACKOFF_MS_MIN = 200;
  private static final long BACKOFF_MS_MAX = 5000;
  /** Longest a single remove-node attempt may take (a leader transfer plus one commit, with margin). */
  private static final long REMOVE_ATTEMPT_MS_MAX = 30_000;

  /** How far a recovery got; stored in the marker so that a restart goes on from there. */
  enum Phase {
    /** The damaged storage is still in place; the old identity may still be a member. */
    REMOVE,
    /** The damaged storage was moved aside; raft/ and state/ hold at most a partial copy from the peers. */
    REBUILD
  }

  private final NodeConfig config;
  private final Path dataDir;

  StorageRecovery(NodeConfig config) {
    this.config = config;
    this.dataDir = config.dataDir();
  }

  /** Whether the node recovers by itself ({@code storage.damage.recovery=auto}). */
  boolean automatic() {
    return "auto".equals(config.get(NodeConfig.STORAGE_DAMAGE_RECOVERY));
  }

  long timeoutMs() {
    return config.getLong(NodeConfig.STORAGE_DAMAGE_RECOVERY_TIMEOUT_MS);
  }

  // -------------------------------------------------------------------------------------------
  // The marker

  /** The phase of a recovery that did not finish, if any. */
  Optional<Phase> pending() throws IOException {
    Path marker = dataDir.resolve(MARKER);
    if (!Files.exists(marker)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(marker)) {
      p.load(r);
    }
    String phase = p.getProperty("phase", "");
    try {
      return Optional.of(Phase.valueOf(phase));
    } catch (IllegalArgumentException e) {
      // Unreadable marker: the safe reading is that nothing was moved yet.
      LOG.warn("{} names phase '{}'; treating it as {}", marker, phase, Phase.REMOVE);
      return Optional.of(Phase.REMOVE);
    }
  }

  /** The reason the marker records, for messages ("" when none). */
  String pendingReason() {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(dataDir.resolve(MARKER))) {
      p.load(r);
    } catch (IOException e) {
      return "";
    }
    return p.getProperty("reason", "");
  }

  /** Writes the marker durably (write, fsync, rename) before the step it announces. */
  void mark(Phase phase, String reason, String damagedDir) throws IOException {
    String text = "# Storage recovery of node " + config.nodeId() + " under way: do not delete while it is.\n"
        + "# While this file exists the node never starts from its local Raft storage.\n"
        + "phase=" + phase + "\n"
        + "reason=" + escape(reason) + "\n"
        + "damaged.dir=" + escape(damagedDir) + "\n";
    writeDurably(dataDir.resolve(MARKER), text);
  }

  void clear() throws IOException {
    Files.deleteIfExists(dataDir.resolve(MARKER));
    fsyncDir(dataDir);
  }

  private static String escape(String s) {
    return s == null ? "" : s.replace("\\", "\\\\").replace("\n", " ").replace("\r", " ");
  }

  // -------------------------------------------------------------------------------------------
  // Contacts

  /** Saves the cluster's client addresses (without any empty one); atomic replace. */
  static void saveContacts(Path dataDir, Map<String, String> clientAddresses) throws IOException {
    StringBuilder text = new StringBuilder("# client addresses of the cluster's nodes, kept by the node for"
        + " storage recovery (see storage.damage.recovery)\n");
    new TreeMap<>(clientAddresses).forEach((id, address) -> {
      if (!address.isEmpty()) {
        text.append(id).append('=').append(address).append('\n');
      }
    });
    writeDurably(dataDir.resolve(CONTACTS), text.toString());
  }

  static Map<String, String> loadContacts(Path dataDir) {
    Path file = dataDir.resolve(CONTACTS);
    Map<String, String> out = new TreeMap<>();
    if (!Files.exists(file)) {
      return out;
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException | IllegalArgumentException e) {
      LOG.warn("cannot read {}: {}", file, e.toString());
      return out;
    }
    for (String id : p.stringPropertyNames()) {
      out.put(id, p.getProperty(id).trim());
    }
    return out;
  }

  /**
   * The client addresses of the other nodes: {@value #CONTACTS}, plus {@code directory} (the node
   * directory from the state database, when it loaded before the damage was found).
   */
  Map<String, String> peerContacts(Map<String, String> directory) {
    Map<String, String> out = new TreeMap<>(loadContacts(dataDir));
    directory.forEach(out::putIfAbsent);
    out.remove(config.nodeId());
    out.values().removeIf(String::isBlank);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Storage

  /**
   * Moves {@code raft/} and {@code state/} into a new {@code damaged-<time>} directory, with a
   * note saying why; returns it.
   */
  Path moveAside(String reason) throws IOException {
    Path target = dataDir.resolve(DAMAGED_PREFIX + STAMP.format(Instant.now()));
    Files.createDirectories(target);
    for (String name : List.of("raft", "state")) {
      Path from = dataDir.resolve(name);
      if (Files.exists(from)) {
        Files.move(from, target.resolve(name), StandardCopyOption.ATOMIC_MOVE);
      }
    }
    Files.writeString(target.resolve("README.txt"), "Storage of node " + config.nodeId() + " found damaged at "
        + Instant.now() + " and replaced by a copy from its peers. Kept for forensics; never read by Sluice.\n"
        + "Damage: " + reason + "\n", StandardCharsets.UTF_8);
    fsyncDir(dataDir);
    return target;
  }

  /** Deletes raft/ and state/: a partial copy from the peers left by an unfinished recovery. */
  void discardPartialCopy() throws IOException {
    for (String name : List.of("raft", "state")) {
      deleteRecursively(dataDir.resolve(name));
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Asking the cluster

  /**
   * Has the cluster remove this node's old identity, retrying with backoff until the deadline.
   * Done when the leader answers that it is removed, or that it is not a member.
   *
   * @throws IOException the refusal to report when the deadline passed
   */
  void removeOldIdentity(Map<String, String> contacts, long deadlineNanos) throws IOException {
    String id = config.nodeId();
    askUntilDone(contacts, deadlineNanos, "removing the old identity of " + id, REMOVE_ATTEMPT_MS_MAX,
        client -> client.admin().removeNode(id), Set.of("UNKNOWN_NODE"));
  }

  /** Has the cluster add this (now empty, joining) node back as a voter; the leader stages it first. */
  void addBack(Map<String, String> contacts, long deadlineNanos) throws IOException {
    String id = config.nodeId();
    String raft = config.raftListen().toString();
    askUntilDone(contacts, deadlineNanos, "adding " + id + " back (" + raft + ")", Long.MAX_VALUE,
        client -> client.admin().addNode(id, raft), Set.of());
  }

  /**
   * A client of the peers' client ports. With TLS on it trusts the peer CA (the peers' certificates
   * serve both ports) and shows this node's own certificate, which is also a client certificate.
   */
  private SluiceClient clientOf(Map<String, String> contacts, Duration requestTimeout) {
    SluiceClient.Builder builder = SluiceClient.builder().bootstrap(List.copyOf(contacts.values()))
        .requestTimeout(requestTimeout);
    if (config.tlsEnabled()) {
      String peerCa = config.get(NodeConfig.TLS_PEER_CA_FILE);
      builder.tlsTrustCertificates(java.nio.file.Path.of(peerCa.isBlank() ? config.get(NodeConfig.TLS_CLIENT_CA_FILE) : peerCa))
          .tlsClientCertificate(java.nio.file.Path.of(config.get(NodeConfig.TLS_CERT_FILE)),
              java.nio.file.Path.of(config.get(NodeConfig.TLS_KEY_FILE)));
    }
    // Removing and adding a member is a cluster-admin operation: with authentication on, the node
    // asks as the bootstrap admin, with the token of auth.bootstrap.token.file (without one the
    // cluster refuses, and the refusal says so).
    String tokenFile = config.get(NodeConfig.AUTH_BOOTSTRAP_TOKEN_FILE);
    if (Boolean.parseBoolean(config.get(NodeConfig.AUTH_ENABLED)) && !tokenFile.isBlank()) {
      try {
        builder.token(java.nio.file.Files.readString(java.nio.file.Path.of(tokenFile)).trim());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(NodeConfig.AUTH_BOOTSTRAP_TOKEN_FILE.name() + ": cannot read "
            + tokenFile + ": " + e.getMessage(), e);
      }
    }
    return builder.build();
  }

  private void askUntilDone(Map<String, String> contacts, long deadlineNanos, String what, long attemptMsMax,
      Function<SluiceClient, CompletableFuture<?>> call, Set<String> doneReasons) throws IOException {
    long backoffMs = BACKOFF_MS_MIN;
    List<String> failures = new ArrayList<>();
    for (int attempt = 1; ; attempt++) {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (remainingMs <= 0) {
        throw new IOException(what + " did not succeed within storage.damage.recovery.timeout.ms ("
            + timeoutMs() + " ms) asking " + contacts + "; last answers: " + String.join("; ", failures));
      }
      long attemptMs = Math.min(remainingMs, attemptMsMax);
      String failure;
      try (SluiceClient client = clientOf(contacts, Duration.ofMillis(Math.max(1000, attemptMs / 2)))) {
        call.apply(client).get(attemptMs, TimeUnit.MILLISECONDS);
        LOG.info("node {}: {}: done (attempt {})", config.nodeId(), what, attempt);
        return;
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof SluiceException se && se.reason() != null && doneReasons.contains(se.reason())) {
          LOG.info("node {}: {}: done already ({})", config.nodeId(), what, se.getMessage());
          return;
        }
        if (cause instanceof SluiceException se && !retryable(se)) {
          throw new IOException(what + " was refused by the cluster: " + se.getMessage(), se);
        }
        failure = String.valueOf(cause);
      } catch (TimeoutException e) {
        failure = "no answer within " + attemptMs + " ms";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(what + " interrupted", e);
      } catch (RuntimeException e) {
        failure = e.toString();
      }
      if (failures.size() == 3) {
        failures.remove(0);
      }
      failures.add(failure);
      LOG.warn("node {}: {} (attempt {}) failed, retrying in {} ms: {}", config.nodeId(), what, attempt, backoffMs,
          failure);
      sleep(Math.min(backoffMs, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()))));
      backoffMs = Math.min(BACKOFF_MS_MAX, backoffMs * 2);
    }
  }

  /**
   * Worth asking again: no leader, a majority not reachable (QUORUM_AT_RISK: a node may come
   * back), another change under way, a node not caught up (the add is staged again), or an
   * outcome not known (both calls are idempotent: a removed node is UNKNOWN_NODE, an added one
   * is a voter already). Not: a bad request, or the Raft address taken by another member.
   */
  private static boolean retryable(SluiceException e) {
    if (e.retriable() || e instanceof IndeterminateException) {
      return true;
    }
    String reason = e.reason() == null ? "" : e.reason();
    return switch (reason) {
      case "INVALID_REQUEST", "NODE_EXISTS" -> false;
      default -> true;
    };
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  // -------------------------------------------------------------------------------------------

  private static void writeDurably(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDir(file.getParent());
  }

  private static void fsyncDir(Path dir) {
    try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("fsync of directory " + dir + " failed", e);
    }
  }
}
