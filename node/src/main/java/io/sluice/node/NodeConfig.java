package io.sluice.node;

import io.sluice.node.security.ServerTls;
import io.sluice.statemachine.Limits;
import io.sluice.statemachine.StorageCompression;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Every node configuration key, once: name, default, unit and documentation. The README's
 * configuration table is generated from {@link #KEYS} ({@link #markdownTable()}) and a test keeps
 * the two equal. Values come from a properties file ({@code --config}) and are overridden by flags.
 *
 * <p>Immutable once built; thread-safe.
 */
public final class NodeConfig {

  /** One documented key. {@code defaultValue} null means required. */
  public record Key(String name, String defaultValue, String unit, String doc) {}

  private static final Map<String, Key> REGISTRY = new LinkedHashMap<>();

  private static Key key(String name, String defaultValue, String unit, String doc) {
    Key k = new Key(name, defaultValue, unit, doc);
    REGISTRY.put(name, k);
    return k;
  }

  public static final Key NODE_ID = key("node.id", null, "",
      "This node's id; must be one of the ids in `peers` (unless `join`).");
  public static final Key CLUSTER_ID = key("cluster.id", "sluice", "",
      "Cluster name; the Raft group id is derived from it. Every node of a cluster uses the same value.");
  public static final Key DATA_DIR = key("data.dir", null, "",
      "Directory for the Raft log, snapshots and the RocksDB state.");
  public static final Key LISTEN = key("listen", "127.0.0.1:7070", "host:port",
      "Address of the client gRPC API.");
  public static final Key ADVERTISED_LISTEN = key("advertised.listen", "", "host:port",
      "Client address other nodes hand to clients (empty: same as `listen`).");
  public static final Key RAFT_LISTEN = key("raft.listen", "127.0.0.1:7170", "host:port",
      "Address of the Raft (peer) endpoint; must match this node's entry in `peers`.");
  public static final Key PEERS = key("peers", null, "id=host:port,…",
      "Every member of the Raft group with its Raft address, this node included. Read only when the data"
          + " directory is new: afterwards the membership stored in the Raft log wins. Not given with `join`.");
  public static final Key RECORD_BYTES_MAX = key("record.bytes.max", "1048576", "bytes",
      "Largest encoded record accepted.");
  public static final Key BATCH_BYTES_MAX = key("batch.bytes.max", "1048576", "bytes",
      "Largest record batch accepted.");
  public static final Key REQUEST_BYTES_MAX = key("request.bytes.max", "8388608", "bytes",
      "Largest produce request (all of its batches) accepted.");
  public static final Key GRPC_INBOUND_MESSAGE_BYTES_MAX = key("grpc.inbound.message.bytes.max", "", "bytes",
      "Largest gRPC message the client port reads; a larger one is refused by the transport with RESOURCE_EXHAUSTED"
          + " before it is buffered. Empty: `request.bytes.max` + 1048576 (room for protobuf framing). Must be at"
          + " least `request.bytes.max`, so that every request within the limits reaches the node's own checks,"
          + " which answer with a typed reason (RECORD_TOO_LARGE).");
  public static final Key GRPC_INBOUND_METADATA_BYTES_MAX = key("grpc.inbound.metadata.bytes.max", "8192", "bytes",
      "Largest block of request headers (gRPC metadata) the client port accepts; a larger one fails that call only.");
  public static final Key GRPC_CONNECTION_CALLS_MAX = key("grpc.connection.calls.max", "10000", "calls",
      "Most calls (unary or streams) one client connection may have open at once (HTTP/2 MAX_CONCURRENT_STREAMS);"
          + " further calls wait in the client until one ends.");
  public static final Key SUBSCRIBE_STREAMS_MAX = key("subscribe.streams.max", "1000", "streams",
      "Most Subscribe streams this node serves at once; one more is refused with RESOURCE_EXHAUSTED"
          + " (TOO_MANY_REQUESTS). Each stream holds at most about one message (up to 1 MiB) queued on the node while"
          + " its client does not read.");
  public static final Key TOPIC_PARTITIONS_MAX = key("topic.partitions.max", "1000", "partitions",
      "Most partitions one topic may have.");
  public static final Key COMMIT_TIMEOUT_MS = key("commit.timeout.ms", "10000", "ms",
      "How long a write waits for Raft commit before failing with UNAVAILABLE (outcome unknown).");
  public static final Key PENDING_WRITES_MAX = key("pending.writes.max", "1024", "requests",
      "Writes waiting for commit on this node before new ones get RESOURCE_EXHAUSTED.");
  public static final Key FETCH_WAIT_MAX_MS = key("fetch.wait.max.ms", "30000", "ms",
      "Longest a fetch may wait (long poll) for new records.");
  public static final Key FETCH_BYTES_MAX = key("fetch.bytes.max", "8388608", "bytes",
      "Largest fetch response; requests asking for more are capped.");
  public static final Key DISK_FREE_BYTES_MIN = key("disk.free.bytes.min", "104857600", "bytes",
      "Below this much free space in `data.dir` the node refuses writes (RESOURCE_EXHAUSTED) and keeps serving reads.");
  public static final Key ELECTION_TIMEOUT_MIN_MS = key("raft.election.timeout.min.ms", "1000", "ms",
      "Lower bound of the randomized Raft election timeout.");
  public static final Key ELECTION_TIMEOUT_MAX_MS = key("raft.election.timeout.max.ms", "2000", "ms",
      "Upper bound of the randomized Raft election timeout.");
  public static final Key SNAPSHOT_THRESHOLD_ENTRIES = key("raft.snapshot.threshold.entries", "20000", "entries",
      "Take a snapshot after this many applied entries; the Raft log is then purged up to it.");
  public static final Key SNAPSHOTS_RETAINED = key("raft.snapshots.retained", "2", "snapshots",
      "Snapshots kept on disk.");
  public static final Key LOG_SEGMENT_BYTES_MAX = key("raft.log.segment.bytes.max", "33554432", "bytes",
      "Size at which a Raft log segment is closed; purging removes whole segments.");
  public static final Key RETENTION_CHECK_INTERVAL_MS = key("retention.check.interval.ms", "30000", "ms",
      "How often the leader looks for batches past their topic's retention.ms or retention.bytes.");
  public static final Key PRODUCER_IDLE_EXPIRY_MS = key("producer.idle.expiry.ms", "86400000", "ms",
      "An idempotent producer id unused this long (by the log's own clock) is forgotten; its producer must get a new one.");
  public static final Key LOG_PURGE_GAP_ENTRIES = key("raft.log.purge.gap.entries", "1024", "entries",
      "Purge the Raft log only when at least this many entries can go.");
  public static final Key JOIN = key("join", "false", "boolean",
      "Start outside any Raft group and wait to be added with `sluice cluster add-node` (no `peers`)."
          + " Only matters when the data directory is new.");
  public static final Key MEMBERSHIP_CATCHUP_TIMEOUT_MS = key("membership.catchup.timeout.ms", "300000", "ms",
      "How long add-node waits for the new node to catch up and become a voter (also bounded by the caller's"
          + " deadline). A node that stops answering fails the change sooner.");
  public static final Key MEMBERSHIP_CATCHUP_LAG_ENTRIES_MAX = key("membership.catchup.lag.entries.max", "1000",
      "entries", "A node being added becomes a voter only once it is at most this many entries behind the"
          + " leader's commit index (Ratis's staging catch-up gap).");
  public static final Key LEADER_TRANSFER_TIMEOUT_MS = key("leader.transfer.timeout.ms", "10000", "ms",
      "How long a leadership transfer (transfer-leader, removing the leader, shutting the leader down) may take.");
  public static final Key DRAIN_TIMEOUT_MS = key("drain.timeout.ms", "10000", "ms",
      "Before a leader stops (SIGTERM) or hands leadership over, how long it waits for the writes in flight to"
          + " commit; new writes are refused meanwhile (not written, so clients retry them on the next leader)."
          + " A stopping node also keeps refusing writes, at most this long, until none came for 1000 ms.");

  // Damaged storage (StorageRecovery)
  public static final Key STORAGE_COMPRESSION = key("storage.compression", "lz4", "none, lz4 or zstd",
      "Compression of the files the state database (RocksDB) writes when it flushes and compacts. Changing it"
          + " needs no migration: files already written keep theirs and stay readable. Record batches compressed"
          + " by the client (`--compression`, the SDK's `compression`) are stored as they came either way.");
  public static final Key STORAGE_DAMAGE_RECOVERY = key("storage.damage.recovery", "auto", "auto or manual",
      "What a node does when it finds its storage damaged at start (a Raft log entry failing its CRC, a snapshot"
          + " or the state database failing a checksum); it never serves or applies the damaged data either way."
          + " `auto`: it has the leader remove its old identity (refused while the voters left would have no"
          + " reachable majority), moves `raft/` and `state/` into `data.dir/damaged-<time>/`, rejoins empty and"
          + " serves again once caught up from its peers. `manual`: it refuses to start and logs the manual"
          + " procedure. A single-node cluster always refuses.");
  public static final Key STORAGE_DAMAGE_RECOVERY_TIMEOUT_MS = key("storage.damage.recovery.timeout.ms", "600000",
      "ms", "How long an automatic recovery may take (removal, catch-up from the peers, rejoin) before the node"
          + " gives up and refuses to start; restarting it goes on where it stopped.");

  // Consumer groups (GroupService, GroupCoordinator)
  public static final Key GROUPS_MAX = key("groups.max", "10000", "groups",
      "Most consumer groups the cluster keeps; a join that would create one more fails with TOO_MANY_GROUPS.");
  public static final Key GROUP_MEMBERS_MAX = key("group.members.max", "1000", "members",
      "Most members one consumer group may have; a further join fails with GROUP_MAX_SIZE_REACHED.");
  public static final Key GROUP_SESSION_TIMEOUT_MS_MIN = key("group.session.timeout.ms.min", "1000", "ms",
      "Shortest session timeout a group member may ask for (INVALID_SESSION_TIMEOUT below it).");
  public static final Key GROUP_SESSION_TIMEOUT_MS_MAX = key("group.session.timeout.ms.max", "300000", "ms",
      "Longest session timeout a group member may ask for: a crashed consumer holds its partitions at most this long.");
  public static final Key GROUP_REBALANCE_TIMEOUT_MS_MAX = key("group.rebalance.timeout.ms.max", "300000", "ms",
      "Longest rebalance timeout a member may ask for: how long a rebalance waits for a live member to rejoin"
          + " before the leader expires it.");
  public static final Key GROUP_LIVENESS_CHECK_INTERVAL_MS = key("group.liveness.check.interval.ms", "100", "ms",
      "How often the leader looks for group members past their session or rebalance timeout (in memory; an"
          + " expiry goes through Raft). A new leader gives every member one full session timeout first.");
  public static final Key GROUP_COMMIT_BATCH_COMMITS_MAX = key("group.commit.batch.commits.max", "256", "commits",
      "Most offset commits the leader batches into one Raft entry; commits arriving while one entry is in"
          + " flight wait for the next.");
  public static final Key GROUP_COMMIT_QUEUE_COMMITS_MAX = key("group.commit.queue.commits.max", "4096", "commits",
      "Offset commits that may wait for a batch; more fail with TOO_MANY_REQUESTS (not written).");
  // Produce path performance (GroupCommit, Ratis log settings in SluiceNode)
  public static final Key GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX = key("produce.group.commit.entries.in.flight.max", "2",
      "entries", "Produce entries the leader keeps in flight (proposed, not yet applied) before further produce"
          + " requests wait and are merged into one Raft entry (group commit); each request keeps its own"
          + " all-or-nothing result. 0 turns merging off (one entry per request).");
  public static final Key GROUP_COMMIT_REQUESTS_MAX = key("produce.group.commit.requests.max", "256", "requests",
      "Most produce requests merged into one Raft entry.");
  public static final Key GROUP_COMMIT_BYTES_MAX = key("produce.group.commit.bytes.max", "8388608", "bytes",
      "Largest merged Raft entry; a request that would push an entry past it waits for the next one.");
  public static final Key PRODUCE_ORDER_WAIT_MS = key("produce.order.wait.ms", "500", "ms",
      "Longest the leader holds a produce request whose batch starts past the sequence its idempotent producer"
          + " has in flight, waiting for the earlier requests (several in flight reach the handlers in any order)."
          + " When it runs out the request is proposed anyway and refused OUT_OF_ORDER_SEQUENCE (not written);"
          + " the client re-sends in order.");
  public static final Key RAFT_LOG_WRITE_BUFFER_BYTES = key("raft.log.write.buffer.bytes", "8388608", "bytes",
      "Buffer in front of the Raft log file (Ratis `raft.server.log.write.buffer.size`); raised to the largest"
          + " entry plus 1 KiB when smaller.");
  public static final Key RAFT_LOG_FORCE_SYNC_ENTRIES = key("raft.log.force.sync.entries", "128", "entries",
      "Most entries written to the Raft log between two fsyncs (Ratis `raft.server.log.force.sync.num`). The log"
          + " also fsyncs as soon as its write queue is empty, so a lone entry is never held back; an entry is"
          + " acknowledged only after its fsync on a majority whatever this is.");
  public static final Key RAFT_APPENDER_BUFFER_BYTES_MAX = key("raft.log.appender.buffer.bytes.max", "4194304",
      "bytes", "Most entry bytes the leader sends a follower in one append (Ratis"
          + " `raft.server.log.appender.buffer.byte-limit`); raised to the largest entry when smaller.");
  public static final Key RAFT_APPENDER_OUTSTANDING_APPENDS_MAX = key("raft.log.appender.outstanding.appends.max",
      "8", "requests", "Appends the leader sends a follower before waiting for replies (Ratis"
          + " `raft.grpc.server.leader.outstanding.appends.max`).");
  public static final Key RAFT_RPC_REQUEST_TIMEOUT_MS = key("raft.rpc.request.timeout.ms", "10000", "ms",
      "How long the leader waits for a follower's answer to an append before giving up on it and resending"
          + " (Ratis `raft.server.rpc.request.timeout`, 3 s there). A follower busy with fsync, GC or a loaded"
          + " machine answers late; every timeout drops all appends in flight to it and counts as an error that"
          + " backs the leader off (see the next key), so a short timeout can keep a slow follower from ever"
          + " catching up.");
  public static final Key RAFT_APPENDER_ERROR_BACKOFF_MAX_MS = key("raft.log.appender.error.backoff.max.ms", "500",
      "ms", "Longest pause of the leader between attempts to reach a follower that keeps failing, and at most half"
          + " of `raft.election.timeout.min.ms`. Ratis's own policy backs off to 5 s, longer than an election"
          + " timeout: a follower back from a pause or a partition then hears no heartbeat, catches up slowly and"
          + " may campaign.");

  // Transport security (io.sluice.node.security.ServerTls)
  public static final Key TLS_CERT_FILE = key("tls.cert.file", "", "path",
      "PEM certificate (chain) of this node. With `tls.key.file` it turns TLS on for the client port and for Raft"
          + " between nodes (mutual TLS, always required between nodes). Used as server and as client certificate,"
          + " so it needs both extended key usages and this node's Raft and client host names or IPs as"
          + " subjectAltNames (`sluice certs dev` makes such certificates). Empty: plaintext everywhere.");
  public static final Key TLS_KEY_FILE = key("tls.key.file", "", "path",
      "PEM private key (PKCS#8, unencrypted) of `tls.cert.file`.");
  public static final Key TLS_CLIENT_CA_FILE = key("tls.client.ca.file", "", "path",
      "PEM CA certificate(s) trusted for client certificates, and for the other nodes' certificates unless"
          + " `tls.peer.ca.file` is set.");
  public static final Key TLS_PEER_CA_FILE = key("tls.peer.ca.file", "", "path",
      "PEM CA certificate(s) trusted for the other nodes' certificates on Raft (empty: `tls.client.ca.file`)."
          + " One of the two is required when TLS is on.");
  public static final Key TLS_CLIENT_AUTH = key("tls.client.auth", "none", "none, optional, required",
      "Whether clients must present a certificate signed by `tls.client.ca.file` (Kafka's ssl.client.auth):"
          + " none, optional (verified when given) or required (mutual TLS).");
  public static final Key TLS_RELOAD_INTERVAL_MS = key("tls.reload.interval.ms", "30000", "ms",
      "How often the node checks `tls.cert.file` and `tls.key.file` for changes; a changed, valid pair is used for"
          + " new connections without a restart (an invalid one is logged and ignored). 0: never. CA files are"
          + " read at start only.");

  // Quotas and limits (io.sluice.node.quota)
  public static final Key QUOTA_PRODUCE_BYTES_PER_SECOND = key("quota.produce.bytes.per.second", "0", "bytes/s",
      "Default produce quota of each principal on each node (request bytes it accepts per second); 0: unlimited."
          + " Metered per node: a principal writing through one leader gets this rate from that leader."
          + " With authentication off every client is the principal `anonymous`, so the quota is then the"
          + " node's total for all clients together.");
  public static final Key QUOTA_FETCH_BYTES_PER_SECOND = key("quota.fetch.bytes.per.second", "0", "bytes/s",
      "Default fetch quota of each principal on each node (record bytes it serves per second, Fetch and"
          + " Subscribe together); 0: unlimited. Metered per node, like the produce quota.");
  public static final Key QUOTA_PRINCIPAL_OVERRIDES = key("quota.principal.overrides", "", "principal:produce:fetch;…",
      "Per-principal quotas that replace the defaults, e.g. `etl:10485760:0;batch-reader:0:1048576`"
          + " (bytes/s; 0: unlimited for that principal). Configuration of each node; a quota set at run time"
          + " with `sluice quota set` (replicated) takes precedence over it.");
  public static final Key QUOTA_OVERRIDES_MAX = key("quota.overrides.max", "10000", "quotas",
      "Most replicated per-principal quotas (`sluice quota set`) the cluster keeps; setting one for one more"
          + " principal fails with RESOURCE_EXHAUSTED (TOO_MANY_QUOTAS).");
  public static final Key QUOTA_THROTTLE_MAX_MS = key("quota.throttle.max.ms", "5000", "ms",
      "A principal over its quota has its responses delayed (Subscribe: its sends paused) until its traffic"
          + " fits the rate again, by at most this long; a request that would need a longer delay is refused with"
          + " RESOURCE_EXHAUSTED (QUOTA_EXCEEDED) and a google.rpc.RetryInfo saying when to retry. Also the burst:"
          + " a principal idle for a while may send one second of its quota at once.");
  public static final Key CONNECTIONS_MAX = key("connections.max", "10000", "connections",
      "Most client connections this node keeps open at once; a new one beyond it is closed at once (logged).");
  public static final Key CONNECTIONS_PER_IP_MAX = key("connections.per.ip.max", "1000", "connections",
      "Most client connections from one IP address; a new one beyond it is closed at once (logged).");
  public static final Key TOPICS_MAX = key("topics.max", "10000", "topics",
      "Most topics the cluster keeps; creating one more fails with RESOURCE_EXHAUSTED (TOO_MANY_TOPICS)."
          + " The leader stamps its value into the create entry, and apply decides.");
  public static final Key PARTITIONS_MAX = key("partitions.max", "100000", "partitions",
      "Most partitions of all topics together; a topic that would take the cluster past it fails with"
          + " RESOURCE_EXHAUSTED (TOO_MANY_PARTITIONS). Stamped into the create entry like `topics.max`.");

  // Monitoring (io.sluice.node.metrics, io.sluice.node.http)
  public static final Key HTTP_LISTEN = key("http.listen", "127.0.0.1:7270", "host:port",
      "Address of the HTTP endpoint serving `/metrics` (Prometheus), `/health/live` and `/health/ready` (port 0: any free port).");
  public static final Key HEALTH_READY_APPLY_LAG_ENTRIES_MAX = key("health.ready.apply.lag.entries.max", "1000", "entries",
      "`/health/ready` answers 503 while the commit index is more than this many entries ahead of the applied index.");
  public static final Key METRICS_TOPICS_MAX = key("metrics.topics.max", "1000", "topics",
      "Most topics with their own per-topic series; records of further topics are counted under `topic=\"(other)\"`.");

  // Authentication, ACLs and audit (io.sluice.node.security)
  public static final Key AUTH_ENABLED = key("auth.enabled", "false", "boolean",
      "Require every client call to authenticate (bearer token, or client certificate CN under mutual TLS) and"
          + " authorize it against the ACLs: default deny. false: every call runs as `anonymous` and is allowed.");
  public static final Key AUTH_BOOTSTRAP_ADMIN = key("auth.bootstrap.admin", "admin", "principal",
      "Principal that may do everything whatever the ACLs say (the cluster's first administrator).");
  public static final Key AUTH_BOOTSTRAP_TOKEN_FILE = key("auth.bootstrap.token.file", "", "path",
      "File holding a secret (one line, at least 32 characters) that authenticates as `auth.bootstrap.admin`;"
          + " read at start. Empty: no bootstrap token (the admin can still authenticate by certificate).");
  public static final Key AUTH_TOKENS_MAX = key("auth.tokens.max", "10000", "tokens",
      "Most live tokens the cluster keeps; creating one more fails with TOO_MANY_AUTH_ENTRIES.");
  public static final Key AUTH_ACLS_MAX = key("auth.acls.max", "10000", "ACLs",
      "Most ACLs the cluster keeps; adding one more fails with TOO_MANY_AUTH_ENTRIES.");
  public static final Key AUTH_RECHECK_INTERVAL_MS = key("auth.recheck.interval.ms", "1000", "ms",
      "How often a node re-checks the token of each open Subscribe stream; a stream whose token was revoked"
          + " ends with UNAUTHENTICATED within about this long after the node applied the revocation.");
  public static final Key AUDIT_ALLOWS = key("audit.allows", "false", "boolean",
      "Also write an audit line for every allowed call (denials, admin and alter operations, token and ACL"
          + " changes are always audited).");
  public static final Key AUDIT_FILE = key("audit.file", "", "path",
      "File the audit log (logger `sluice.audit`) is appended to, apart from the server log. Empty: audit lines"
          + " go to the server log stream, under the logger name `sluice.audit`.");

  private final Map<String, String> values;

  private NodeConfig(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  public static List<Key> keys() {
    return List.copyOf(REGISTRY.values());
  }

  /** Builds a config from an optional properties file, then {@code overrides} (e.g. flags). */
  public static NodeConfig load(Path propertiesFile, Map<String, String> overrides) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    if (propertiesFile != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(propertiesFile)) {
        p.load(r);
      }
      for (String name : p.stringPropertyNames()) {
        values.put(name, p.getProperty(name).trim());
      }
    }
    values.putAll(overrides);
    return of(values);
  }

  /** Validates names and required keys; unknown keys are an error (a typo must not pass silently). */
  public static NodeConfig of(Map<String, String> given) {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> e : given.entrySet()) {
      if (!REGISTRY.containsKey(e.getKey())) {
        problems.add("unknown configuration key '" + e.getKey() + "'");
      } else if (e.getValue() != null) {
        values.put(e.getKey(), e.getValue());
      }
    }
    String compression = values.get(STORAGE_COMPRESSION.name());
    if (compression != null) {
      try {
        StorageCompression.fromConfig(compression);
      } catch (IllegalArgumentException e) {
        problems.add(STORAGE_COMPRESSION.name() + " " + e.getMessage());
      }
    }
    String recovery = values.get(STORAGE_DAMAGE_RECOVERY.name());
    if (recovery != null && !recovery.equals("auto") && !recovery.equals("manual")) {
      problems.add(STORAGE_DAMAGE_RECOVERY.name() + " must be auto or manual, got '" + recovery + "'");
    }
    String join = values.get(JOIN.name());
    if (join != null && !join.equals("true") && !join.equals("false")) {
      problems.add("join must be true or false, got '" + join + "'");
    }
    boolean joining = "true".equals(join);
    for (Key k : REGISTRY.values()) {
      if (!values.containsKey(k.name())) {
        if (k == PEERS && joining) {
          values.put(k.name(), ""); // a joining node learns its peers from the cluster
        } else if (k.defaultValue() == null) {
          problems.add("missing required configuration '" + k.name() + "'");
        } else {
          values.put(k.name(), k.defaultValue());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    NodeConfig config = new NodeConfig(values);
    config.validate();
    return config;
  }

  private void validate() {
    for (Key k : List.of(RECORD_BYTES_MAX, BATCH_BYTES_MAX, REQUEST_BYTES_MAX, TOPIC_PARTITIONS_MAX,
        COMMIT_TIMEOUT_MS, PENDING_WRITES_MAX, FETCH_WAIT_MAX_MS, FETCH_BYTES_MAX, ELECTION_TIMEOUT_MIN_MS,
        ELECTION_TIMEOUT_MAX_MS, SNAPSHOT_THRESHOLD_ENTRIES, SNAPSHOTS_RETAINED, LOG_SEGMENT_BYTES_MAX,
        RETENTION_CHECK_INTERVAL_MS, PRODUCER_IDLE_EXPIRY_MS, MEMBERSHIP_CATCHUP_TIMEOUT_MS,
        LEADER_TRANSFER_TIMEOUT_MS, DRAIN_TIMEOUT_MS, GROUPS_MAX, GROUP_MEMBERS_MAX, GROUP_SESSION_TIMEOUT_MS_MIN,
        GROUP_SESSION_TIMEOUT_MS_MAX, GROUP_REBALANCE_TIMEOUT_MS_MAX, GROUP_LIVENESS_CHECK_INTERVAL_MS,
        GROUP_COMMIT_BATCH_COMMITS_MAX, GROUP_COMMIT_QUEUE_COMMITS_MAX, STORAGE_DAMAGE_RECOVERY_TIMEOUT_MS,
        QUOTA_THROTTLE_MAX_MS, CONNECTIONS_MAX, CONNECTIONS_PER_IP_MAX, TOPICS_MAX, PARTITIONS_MAX)) {
      if (getLong(k) <= 0) {
        throw new IllegalArgumentException(k.name() + " must be positive, got " + get(k));
      }
    }
    // Keys the node's components take as an int: refused here, naming the key, rather than at start.
    for (Key k : List.of(RECORD_BYTES_MAX, BATCH_BYTES_MAX, REQUEST_BYTES_MAX, TOPIC_PARTITIONS_MAX,
        PENDING_WRITES_MAX, FETCH_BYTES_MAX, SNAPSHOTS_RETAINED, LOG_PURGE_GAP_ENTRIES, METRICS_TOPICS_MAX,
        GRPC_CONNECTION_CALLS_MAX, SUBSCRIBE_STREAMS_MAX, CONNECTIONS_MAX, CONNECTIONS_PER_IP_MAX, TOPICS_MAX,
        PARTITIONS_MAX)) {
      getInt(k);
      if (getLong(k) <= 0 && (k == GRPC_CONNECTION_CALLS_MAX || k == SUBSCRIBE_STREAMS_MAX)) {
        throw new IllegalArgumentException(k.name() + " must be positive, got " + get(k));
      }
    }
    long requestMax = getLong(REQUEST_BYTES_MAX);
    long messageMax = grpcInboundMessageBytesMax();
    if (messageMax < requestMax) {
      throw new IllegalArgumentException(GRPC_INBOUND_MESSAGE_BYTES_MAX.name() + " (" + messageMax + ") must be at least "
          + REQUEST_BYTES_MAX.name() + " (" + requestMax + ")");
    }
    if (getInt(GRPC_INBOUND_METADATA_BYTES_MAX) < 1024) {
      throw new IllegalArgumentException(GRPC_INBOUND_METADATA_BYTES_MAX.name() + " must be at least 1024, got "
          + get(GRPC_INBOUND_METADATA_BYTES_MAX));
    }
    try {
      dataDir();
    } catch (java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException(DATA_DIR.name() + " is not a usable path: " + e.getMessage());
    }
    getLong(DISK_FREE_BYTES_MIN);
    getLong(LOG_PURGE_GAP_ENTRIES);
    if (getInt(GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX) < 0) {
      throw new IllegalArgumentException(GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX.name() + " must not be negative, got "
          + get(GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX));
    }
    if (getLong(PRODUCE_ORDER_WAIT_MS) < 1 || getLong(PRODUCE_ORDER_WAIT_MS) > 60_000) {
      throw new IllegalArgumentException(PRODUCE_ORDER_WAIT_MS.name() + " must be from 1 to 60000, got "
          + get(PRODUCE_ORDER_WAIT_MS));
    }
    for (Key k : List.of(GROUP_COMMIT_REQUESTS_MAX, GROUP_COMMIT_BYTES_MAX, RAFT_LOG_WRITE_BUFFER_BYTES,
        RAFT_LOG_FORCE_SYNC_ENTRIES, RAFT_APPENDER_BUFFER_BYTES_MAX, RAFT_APPENDER_OUTSTANDING_APPENDS_MAX,
        RAFT_RPC_REQUEST_TIMEOUT_MS, RAFT_APPENDER_ERROR_BACKOFF_MAX_MS)) {
      if (getInt(k) <= 0) {
        throw new IllegalArgumentException(k.name() + " must be positive, got " + get(k));
      }
    }
    long lag = getLong(MEMBERSHIP_CATCHUP_LAG_ENTRIES_MAX);
    if (lag < 1 || lag > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(MEMBERSHIP_CATCHUP_LAG_ENTRIES_MAX.name() + " must be from 1 to "
          + Integer.MAX_VALUE + ", got " + lag);
    }
    if (getLong(GROUP_SESSION_TIMEOUT_MS_MAX) < getLong(GROUP_SESSION_TIMEOUT_MS_MIN)
        || getLong(GROUP_SESSION_TIMEOUT_MS_MAX) > Integer.MAX_VALUE
        || getLong(GROUP_REBALANCE_TIMEOUT_MS_MAX) > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("group.session.timeout.ms.max must be at least group.session.timeout.ms.min,"
          + " and the group timeouts at most " + Integer.MAX_VALUE + " ms");
    }
    if (getLong(ELECTION_TIMEOUT_MAX_MS) <= getLong(ELECTION_TIMEOUT_MIN_MS)) {
      throw new IllegalArgumentException("raft.election.timeout.max.ms must be above raft.election.timeout.min.ms");
    }
    validateTls();
    for (Key k : List.of(QUOTA_PRODUCE_BYTES_PER_SECOND, QUOTA_FETCH_BYTES_PER_SECOND)) {
      if (getLong(k) < 0) {
        throw new IllegalArgumentException(k.name() + " must not be negative (0: unlimited), got " + get(k));
      }
    }
    if (getLong(QUOTA_THROTTLE_MAX_MS) > 3_600_000) {
      throw new IllegalArgumentException(QUOTA_THROTTLE_MAX_MS.name() + " must be at most 3600000 (one hour), got "
          + get(QUOTA_THROTTLE_MAX_MS));
    }
    quotaOverrides();
    HostPort.parse(get(LISTEN), LISTEN.name());
    HostPort.parse(get(RAFT_LISTEN), RAFT_LISTEN.name());
    if (!get(ADVERTISED_LISTEN).isEmpty()) {
      HostPort.parse(get(ADVERTISED_LISTEN), ADVERTISED_LISTEN.name());
    }
    httpListen();
    if (getLong(HEALTH_READY_APPLY_LAG_ENTRIES_MAX) < 0) {
      throw new IllegalArgumentException(HEALTH_READY_APPLY_LAG_ENTRIES_MAX.name() + " must not be negative, got "
          + get(HEALTH_READY_APPLY_LAG_ENTRIES_MAX));
    }
    if (getInt(METRICS_TOPICS_MAX) <= 0) {
      throw new IllegalArgumentException(METRICS_TOPICS_MAX.name() + " must be positive, got " + get(METRICS_TOPICS_MAX));
    }
    for (Key k : List.of(AUTH_ENABLED, AUDIT_ALLOWS)) {
      if (!get(k).equals("true") && !get(k).equals("false")) {
        throw new IllegalArgumentException(k.name() + " must be true or false, got '" + get(k) + "'");
      }
    }
    for (Key k : List.of(AUTH_TOKENS_MAX, AUTH_ACLS_MAX, AUTH_RECHECK_INTERVAL_MS, QUOTA_OVERRIDES_MAX)) {
      if (getInt(k) <= 0) {
        throw new IllegalArgumentException(k.name() + " must be positive, got " + get(k));
      }
    }
    if (get(AUTH_BOOTSTRAP_ADMIN).isBlank() || get(AUTH_BOOTSTRAP_ADMIN).equals("*")) {
      throw new IllegalArgumentException(AUTH_BOOTSTRAP_ADMIN.name() + " must name a principal, got '"
          + get(AUTH_BOOTSTRAP_ADMIN) + "'");
    }
    Map<String, HostPort> peers = peers();
    if (join()) {
      if (!peers.isEmpty()) {
        throw new IllegalArgumentException("join and peers exclude each other: a joining node starts outside the"
            + " group and learns its peers when `sluice cluster add-node` adds it");
      }
      return;
    }
    if (peers.isEmpty()) {
      throw new IllegalArgumentException("missing required configuration 'peers' (or set join=true for a node"
          + " that `sluice cluster add-node` will add)");
    }
    if (!peers.containsKey(nodeId())) {
      throw new IllegalArgumentException("node.id '" + nodeId() + "' is not among peers " + peers.keySet());
    }
    if (!peers.get(nodeId()).equals(raftListen())) {
      throw new IllegalArgumentException("peers gives " + nodeId() + " the Raft address " + peers.get(nodeId())
          + " but raft.listen is " + raftListen());
    }
  }

  private void validateTls() {
    ServerTls.ClientAuth clientAuth = ServerTls.ClientAuth.parse(get(TLS_CLIENT_AUTH), TLS_CLIENT_AUTH.name());
    if (getLong(TLS_RELOAD_INTERVAL_MS) < 0) {
      throw new IllegalArgumentException(TLS_RELOAD_INTERVAL_MS.name() + " must not be negative, got "
          + get(TLS_RELOAD_INTERVAL_MS));
    }
    boolean cert = !get(TLS_CERT_FILE).isBlank();
    boolean key = !get(TLS_KEY_FILE).isBlank();
    if (cert != key) {
      throw new IllegalArgumentException("TLS needs both " + TLS_CERT_FILE.name() + " (--tls-cert) and "
          + TLS_KEY_FILE.name() + " (--tls-key); only " + (cert ? TLS_CERT_FILE : TLS_KEY_FILE).name() + " is set");
    }
    if (!cert) {
      for (Key k : List.of(TLS_CLIENT_CA_FILE, TLS_PEER_CA_FILE)) {
        if (!get(k).isBlank()) {
          throw new IllegalArgumentException(k.name() + " is set but TLS is off: also set " + TLS_CERT_FILE.name()
              + " (--tls-cert) and " + TLS_KEY_FILE.name() + " (--tls-key)");
        }
      }
      if (clientAuth != ServerTls.ClientAuth.NONE) {
        throw new IllegalArgumentException(TLS_CLIENT_AUTH.name() + "=" + get(TLS_CLIENT_AUTH) + " needs TLS: set "
            + TLS_CERT_FILE.name() + ", " + TLS_KEY_FILE.name() + " and " + TLS_CLIENT_CA_FILE.name());
      }
      return;
    }
    if (clientAuth != ServerTls.ClientAuth.NONE && get(TLS_CLIENT_CA_FILE).isBlank()) {
      throw new IllegalArgumentException(TLS_CLIENT_AUTH.name() + "=" + get(TLS_CLIENT_AUTH) + " needs "
          + TLS_CLIENT_CA_FILE.name() + " (--tls-client-ca), the CA that signs client certificates");
    }
    if (get(TLS_CLIENT_CA_FILE).isBlank() && get(TLS_PEER_CA_FILE).isBlank()) {
      throw new IllegalArgumentException("TLS between nodes is mutual: set " + TLS_CLIENT_CA_FILE.name()
          + " (--tls-client-ca) or " + TLS_PEER_CA_FILE.name() + " to the CA that signed the nodes' certificates");
    }
    for (Key k : List.of(TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE, TLS_PEER_CA_FILE)) {
      try {
        Path.of(get(k));
      } catch (java.nio.file.InvalidPathException e) {
        throw new IllegalArgumentException(k.name() + " is not a usable path: " + e.getMessage());
      }
    }
  }

  /** Whether TLS is on (certificate and key given). */
  public boolean tlsEnabled() {
    return !get(TLS_CERT_FILE).isBlank();
  }

  /**
   * Loads this node's TLS material ({@link ServerTls#load}); null when TLS is off.
   *
   * @throws IOException naming the file that is missing, unreadable, malformed, expired or mismatched
   */
  public ServerTls loadTls() throws IOException {
    if (!tlsEnabled()) {
      return null;
    }
    Path clientCa = get(TLS_CLIENT_CA_FILE).isBlank() ? null : Path.of(get(TLS_CLIENT_CA_FILE));
    Path peerCa = get(TLS_PEER_CA_FILE).isBlank() ? clientCa : Path.of(get(TLS_PEER_CA_FILE));
    ServerTls.ClientAuth clientAuth = ServerTls.ClientAuth.parse(get(TLS_CLIENT_AUTH), TLS_CLIENT_AUTH.name());
    return ServerTls.load(Path.of(get(TLS_CERT_FILE)), Path.of(get(TLS_KEY_FILE)),
        clientAuth == ServerTls.ClientAuth.NONE ? null : clientCa, peerCa, clientAuth);
  }

  public String get(Key key) {
    return values.get(key.name());
  }

  public long getLong(Key key) {
    try {
      return Long.parseLong(get(key));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key.name() + " must be a number (" + key.unit() + "), got '" + get(key) + "'");
    }
  }

  public int getInt(Key key) {
    long v = getLong(key);
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(key.name() + " is too large: " + v);
    }
    return (int) v;
  }

  public String nodeId() {
    return get(NODE_ID);
  }

  public String clusterId() {
    return get(CLUSTER_ID);
  }

  public Path dataDir() {
    return Path.of(get(DATA_DIR));
  }

  public HostPort listen() {
    return HostPort.parse(get(LISTEN), LISTEN.name());
  }

  public HostPort advertisedListen() {
    String a = get(ADVERTISED_LISTEN);
    return a.isEmpty() ? listen() : HostPort.parse(a, ADVERTISED_LISTEN.name());
  }

  public HostPort raftListen() {
    return HostPort.parse(get(RAFT_LISTEN), RAFT_LISTEN.name());
  }

  public HostPort httpListen() {
    return HostPort.parse(get(HTTP_LISTEN), HTTP_LISTEN.name());
  }

  /** Whether this node starts outside any group, to be added by the leader ({@link #JOIN}). */
  public boolean join() {
    return Boolean.parseBoolean(get(JOIN));
  }

  /** Peers in the order given; empty for a joining node. */
  public Map<String, HostPort> peers() {
    Map<String, HostPort> peers = new LinkedHashMap<>();
    if (get(PEERS).isBlank()) {
      return peers;
    }
    for (String part : get(PEERS).split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq <= 0 || eq == p.length() - 1) {
        throw new IllegalArgumentException("peers entry '" + p + "' is not id=host:port");
      }
      String id = p.substring(0, eq);
      if (peers.put(id, HostPort.parse(p.substring(eq + 1), "peers entry " + id)) != null) {
        throw new IllegalArgumentException("peers names '" + id + "' twice");
      }
    }
    return peers;
  }

  /** {@link #GRPC_INBOUND_MESSAGE_BYTES_MAX}, or its default derived from {@link #REQUEST_BYTES_MAX}. */
  public int grpcInboundMessageBytesMax() {
    if (get(GRPC_INBOUND_MESSAGE_BYTES_MAX).isBlank()) {
      return (int) Math.min(Integer.MAX_VALUE, getLong(REQUEST_BYTES_MAX) + (1 << 20));
    }
    long v = getInt(GRPC_INBOUND_MESSAGE_BYTES_MAX);
    if (v <= 0) {
      throw new IllegalArgumentException(GRPC_INBOUND_MESSAGE_BYTES_MAX.name() + " must be positive, got " + v);
    }
    return (int) v;
  }

  /** One principal's quotas from {@link #QUOTA_PRINCIPAL_OVERRIDES}; bytes/s, 0 = unlimited. */
  public record QuotaOverride(long produceBytesPerSecond, long fetchBytesPerSecond) {}

  /** {@link #QUOTA_PRINCIPAL_OVERRIDES}, parsed: principal name → its quotas, in the order given. */
  public Map<String, QuotaOverride> quotaOverrides() {
    Map<String, QuotaOverride> overrides = new LinkedHashMap<>();
    String text = get(QUOTA_PRINCIPAL_OVERRIDES);
    if (text.isBlank()) {
      return overrides;
    }
    for (String part : text.split(";")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      String[] f = p.split(":", -1);
      if (f.length != 3 || f[0].isBlank()) {
        throw new IllegalArgumentException(QUOTA_PRINCIPAL_OVERRIDES.name() + " entry '" + p
            + "' is not principal:produceBytesPerSecond:fetchBytesPerSecond");
      }
      long produce;
      long fetch;
      try {
        produce = Long.parseLong(f[1].trim());
        fetch = Long.parseLong(f[2].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(QUOTA_PRINCIPAL_OVERRIDES.name() + " entry '" + p
            + "' has a rate that is not a number");
      }
      if (produce < 0 || fetch < 0) {
        throw new IllegalArgumentException(QUOTA_PRINCIPAL_OVERRIDES.name() + " entry '" + p
            + "' has a negative rate (0: unlimited)");
      }
      if (overrides.put(f[0].trim(), new QuotaOverride(produce, fetch)) != null) {
        throw new IllegalArgumentException(QUOTA_PRINCIPAL_OVERRIDES.name() + " names '" + f[0].trim() + "' twice");
      }
    }
    return overrides;
  }

  /** {@code storage.compression}, validated at construction. */
  public StorageCompression storageCompression() {
    return StorageCompression.fromConfig(get(STORAGE_COMPRESSION));
  }

  public Limits limits() {
    return new Limits(getInt(RECORD_BYTES_MAX), getInt(BATCH_BYTES_MAX), getInt(REQUEST_BYTES_MAX),
        getInt(TOPIC_PARTITIONS_MAX), groupEntryBytesMax());
  }

  /**
   * Largest group-commit entry the validator accepts: the configured bound (which counts each
   * request with its framing, see GroupCommit) plus the command's own header.
   */
  public int groupEntryBytesMax() {
    return (int) Math.min(Integer.MAX_VALUE, (long) getInt(GROUP_COMMIT_BYTES_MAX) + 64);
  }

  /** Every effective value, for logging at start. */
  public Map<String, String> values() {
    return values;
  }

  /** The README's configuration table. */
  public static String markdownTable() {
    StringBuilder sb = new StringBuilder("| key | default | unit | meaning |\n|---|---|---|---|\n");
    for (Key k : REGISTRY.values()) {
      sb.append("| `").append(k.name()).append("` | ")
          .append(k.defaultValue() == null ? "(required)" : k.defaultValue().isEmpty() ? "(empty)" : "`" + k.defaultValue() + "`")
          .append(" | ").append(k.unit()).append(" | ").append(k.doc().replace("|", "\\|")).append(" |\n");
    }
    return sb.toString();
  }
}
