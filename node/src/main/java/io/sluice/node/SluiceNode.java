package io.sluice.node;

import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.RegisterNode;
import io.sluice.node.metrics.Monitoring;
import io.sluice.node.security.ServerTls;
import io.sluice.protocol.SluiceErrors;
import io.sluice.statemachine.LogCore;
import io.sluice.statemachine.SluiceStateMachine;
import io.sluice.statemachine.StorageCorruptException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sluice node: a Ratis {@link RaftServer} holding the single Raft group with every partition
 * (the group id is derived from {@code cluster.id}, so more groups can be added later), and a
 * grpc-java server for clients on its own port.
 *
 * <p>Data directory layout: {@code raft/} (Ratis: log, metadata, snapshots under {@code sm/}),
 * {@code state/} (the live RocksDB), {@code cluster.properties} (the cluster and node id this
 * directory belongs to, checked on every start, and the peers it was first started with),
 * {@code cluster.contacts} (the cluster's client addresses, kept for recovery), and, after damaged
 * storage was found, {@code damaged-<time>/} (the old storage, never read) and, while a recovery is
 * under way, {@code recovery.pending}: see {@link StorageRecovery}.
 *
 * <p>Membership: {@code peers} (or, with {@code join}, an empty group) only seeds a new data
 * directory. From then on the Raft configuration that Ratis stores (its log and
 * {@code raft-meta.conf}) is the membership, changed at run time through {@link Membership}.
 *
 * <p>{@link #close} is the graceful stop (SIGTERM): refuse new writes, let writes in flight
 * finish, hand leadership to the most up-to-date follower, then close Ratis and RocksDB.
 *
 * <p>Thread-safe; {@link #start} is called once, {@link #close} any number of times.
 */
public final class SluiceNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);

  static {
    // Ratis calls System.exit(1) when its gRPC server cannot bind the Raft port (GrpcServicesImpl);
    // with this it throws ExitException instead, which startRaftServer reports as a failed start:
    // the CLI prints why and exits non-zero, and a JVM running other nodes (tests, embedding) lives on.
    ExitUtils.disableSystemExit();
  }

  /**
   * A stopping node closes its client port only after this long without a write to refuse. Longer
   * than the stalls a loaded machine gives a client (0.3-0.5 s whole-process pauses were seen with
   * 250 ms, and a write the client sent after such a pause then failed in transport, its outcome
   * unknown to it). Costs a graceful stop this long only while clients keep writing to it.
   */
  static final long CLIENTS_MOVED_QUIET_MS = 1000;

  private final NodeConfig config;
  private final RaftGroup group;
  private final RaftPeerId selfId;
  private volatile SluiceStateMachine stateMachine; // replaced once if the storage is found damaged at start
  private final DiskGuard diskGuard;
  private final ApplySignal applySignal = new ApplySignal();
  private final ScheduledExecutorService scheduler;
  private final AtomicBoolean serving = new AtomicBoolean();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean handingOver = new AtomicBoolean(); // the leader is moving leadership
  private volatile String handedLeadershipTo; // set by a graceful stop of the leader
  private final AtomicLong lastStopRefusalNanos = new AtomicLong(); // last write refused while stopping; 0: none
  private final AtomicReference<CompletableFuture<?>> registration = new AtomicReference<>();
  private final Proposer proposer;
  private final GroupCommit groupCommit;
  private final Monitoring monitoring;
  private volatile io.sluice.node.security.Authenticator authenticator;
  private volatile io.sluice.node.security.Authorizer authorizer;
  private final Membership membership = new Membership(this);
  private RaftServer raftServer;
  private RaftProperties raftProperties;
  private volatile RaftClient raftClient; // for registering; rebuilt when the voters change or a send failed
  private volatile boolean registrationClientFailed; // set by a failed registration send
  private List<RaftPeer> raftClientVoters = List.of(); // what raftClient was built for; scheduler thread only
  private Map<String, String> savedContacts = Map.of(); // last written to cluster.contacts; scheduler thread only
  private AdminService adminService;
  private final GroupCoordinator groupCoordinator = new GroupCoordinator(this, System::nanoTime);
  private volatile FetchService fetchService;
  private final io.sluice.node.quota.Quotas quotas;
  /** Releases throttled answers (quota delays); one thread, daemon. */
  private final ScheduledExecutorService throttler;
  private final ConnectionLimiter connectionLimiter;
  /** Interceptors added before start (tests: one that sets a Principal); they run before the node's own. */
  private final List<io.grpc.ServerInterceptor> extraInterceptors = new ArrayList<>();
  private Server grpcServer;
  private ServerTls tls; // null: plaintext
  private Parameters raftParameters; // Ratis's TLS configuration (empty without TLS)

  public SluiceNode(NodeConfig config) {
    this(config, null);
  }

  /** @param freeBytes free-space probe for the data directory; null for the real one (tests inject) */
  public SluiceNode(NodeConfig config, LongSupplier freeBytes) {
    this.config = config;
    this.selfId = RaftPeerId.valueOf(config.nodeId());
    List<RaftPeer> peers = new ArrayList<>();
    config.peers().forEach((id, addr) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(addr.toString()).build()));
    // A joining node (peers empty) starts outside any configuration, as Ratis's own tests add
    // servers: it does not campaign, and the leader's log gives it the configuration that adds it.
    this.group = RaftGroup.valueOf(groupIdOf(config.clusterId()), peers);
    this.stateMachine = new SluiceStateMachine(config.dataDir().resolve("state"), config.limits(),
        config.getInt(NodeConfig.SNAPSHOTS_RETAINED), config.storageCompression());
    this.diskGuard = new DiskGuard(config.getLong(NodeConfig.DISK_FREE_BYTES_MIN),
        freeBytes != null ? freeBytes : DiskGuard.usableSpaceOf(config.dataDir()));
    this.proposer = new Proposer(this, config.getLong(NodeConfig.COMMIT_TIMEOUT_MS),
        config.getInt(NodeConfig.PENDING_WRITES_MAX));
    this.groupCommit = new GroupCommit(this, config.getInt(NodeConfig.GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX),
        config.getInt(NodeConfig.GROUP_COMMIT_REQUESTS_MAX), config.getInt(NodeConfig.GROUP_COMMIT_BYTES_MAX),
        config.getInt(NodeConfig.PENDING_WRITES_MAX), config.getLong(NodeConfig.PRODUCE_ORDER_WAIT_MS));
    this.monitoring = new Monitoring(config);
    this.quotas = io.sluice.node.quota.Quotas.of(config, () -> {
      LogCore core = stateMachine.core(); // null until Raft initialised the state machine
      return core == null ? Map.of() : core.quotas();
    });
    this.throttler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-" + config.nodeId() + "-throttle");
      t.setDaemon(true);
      return t;
    });
    this.connectionLimiter = new ConnectionLimiter(config.nodeId(), config.getInt(NodeConfig.CONNECTIONS_MAX),
        config.getInt(NodeConfig.CONNECTIONS_PER_IP_MAX));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-" + config.nodeId() + "-scheduler");
      t.setDaemon(true);
      return t;
    });
  }

  /** Least length of the bootstrap token secret, characters: it must not be guessable. */
  static final int BOOTSTRAP_TOKEN_LENGTH_MIN = 32;

  private void configureAuth() throws IOException {
    boolean enabled = Boolean.parseBoolean(config.get(NodeConfig.AUTH_ENABLED));
    io.sluice.node.security.Principal admin = new io.sluice.node.security.Principal(config.get(NodeConfig.AUTH_BOOTSTRAP_ADMIN));
    byte[] bootstrapSha = null;
    String file = config.get(NodeConfig.AUTH_BOOTSTRAP_TOKEN_FILE);
    if (!file.isBlank()) {
      String secret;
      try {
        secret = Files.readString(Path.of(file), StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        throw new IOException(NodeConfig.AUTH_BOOTSTRAP_TOKEN_FILE.name() + ": cannot read " + file + ": " + e.getMessage(), e);
      }
      if (secret.length() < BOOTSTRAP_TOKEN_LENGTH_MIN || secret.contains("\n") || secret.contains(" ")) {
        throw new IllegalArgumentException(NodeConfig.AUTH_BOOTSTRAP_TOKEN_FILE.name() + ": " + file + " must hold one"
            + " secret of at least " + BOOTSTRAP_TOKEN_LENGTH_MIN + " characters without spaces (e.g. openssl rand -hex 32)");
      }
      bootstrapSha = io.sluice.node.security.Authenticator.sha256(secret);
    }
    String auditFile = config.get(NodeConfig.AUDIT_FILE);
    if (!auditFile.isBlank()) {
      io.sluice.node.security.AuditFile.attach(Path.of(auditFile));
    }
    io.sluice.node.security.AuthEvents events = new io.sluice.node.security.AuthEvents(monitoring.registry(),
        config.nodeId(), Boolean.parseBoolean(config.get(NodeConfig.AUDIT_ALLOWS)));
    authenticator = new io.sluice.node.security.Authenticator(enabled, admin, bootstrapSha,
        sha -> core().tokenByHash(sha).map(io.sluice.internal.v1.StoredToken::getPrincipal), events);
    authorizer = new io.sluice.node.security.Authorizer(enabled, admin, () -> core().acls(), events);
    if (enabled) {
      LOG.info("node {}: authentication and ACLs on; bootstrap admin '{}'{}", config.nodeId(), admin,
          bootstrapSha == null ? " (no bootstrap token)" : " (bootstrap token from " + file + ")");
    }
  }

  /** Authentication of client calls (also re-checks the tokens of open streams). */
  io.sluice.node.security.Authenticator authenticator() {
    return authenticator;
  }

  /** Authorization of client calls against the applied ACLs. */
  io.sluice.node.security.Authorizer authorizer() {
    return authorizer;
  }

  /** The Raft group id for a cluster name: stable, so every node derives the same one. */
  public static RaftGroupId groupIdOf(String clusterId) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("sluice-cluster:" + clusterId).getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * Adds a client-port interceptor that runs before the node's own (e.g. one that puts a
   * {@link io.sluice.node.security.Principal} in the call's Context). Only before {@link #start}.
   */
  SluiceNode intercept(io.grpc.ServerInterceptor interceptor) {
    if (grpcServer != null) {
      throw new IllegalStateException("interceptors are added before start");
    }
    extraInterceptors.add(interceptor);
    return this;
  }

  public SluiceNode start() throws IOException {
    // First: a node with unusable TLS material refuses to start before it touches anything.
    tls = config.loadTls();
    Path dataDir = config.dataDir();
    Files.createDirectories(dataDir);
    Path raftDir = dataDir.resolve("raft");
    StorageRecovery recovery = new StorageRecovery(config);
    Optional<StorageRecovery.Phase> pending = recovery.pending();
    boolean fresh = !Files.exists(raftDir.resolve(group.getGroupId().getUuid().toString()));
    checkDataDir(dataDir, fresh);
    RaftProperties props = raftProperties(raftDir);
    configureAuth(); // a bad token file fails the start before anything runs
    monitoring.bind(this); // takes the HTTP port before Raft starts: a clash fails before anything runs
    quotas.bindMetrics(monitoring.registry());
    connectionLimiter.bindMetrics(monitoring.registry());
    raftProperties = props;
    raftParameters = new Parameters();
    if (tls != null) {
      // One configuration for Ratis's server, admin and client sides: mutual TLS between nodes.
      GrpcConfigKeys.TLS.setConf(raftParameters, tls.raftTlsConfig());
    }
    stateMachine.addAppliedListener(applySignal::fire);
    try {
      startRaft(recovery, pending, fresh);
    } catch (IOException | RuntimeException e) {
      monitoring.close(); // a refused start leaves nothing bound
      scheduler.shutdownNow();
      throw e;
    }
    LOG.info("node {}: Raft membership {}{}", config.nodeId(), membership.describe(),
        config.join() && fresh ? " (joining: waiting for `sluice cluster add-node " + config.nodeId() + "="
            + config.raftListen() + "`)" : "");
    adminService = new AdminService(this);
    HostPort listen = config.listen();
    InetSocketAddress clientAddress = new InetSocketAddress(listen.host(), listen.port());
    NettyServerBuilder server = (tls == null ? NettyServerBuilder.forAddress(clientAddress)
            : NettyServerBuilder.forAddress(clientAddress, tls.clientPortCredentials()))
        // Set deliberately, from named keys: what the transport buffers per message and per header block.
        .maxInboundMessageSize(config.grpcInboundMessageBytesMax())
        .maxInboundMetadataSize(config.getInt(NodeConfig.GRPC_INBOUND_METADATA_BYTES_MAX))
        .maxConcurrentCallsPerConnection(config.getInt(NodeConfig.GRPC_CONNECTION_CALLS_MAX))
        .addTransportFilter(connectionLimiter)
        .addService(new ProduceService(this))
        .addService(fetchService = new FetchService(this))
        .addService(new TopicService(this))
        .addService(new ClusterService(this))
        .addService(adminService)
        .addService(new GroupService(this, groupCoordinator, new CommitBatcher(this,
            config.getInt(NodeConfig.GROUP_COMMIT_BATCH_COMMITS_MAX), config.getInt(NodeConfig.GROUP_COMMIT_QUEUE_COMMITS_MAX),
            config.getInt(NodeConfig.REQUEST_BYTES_MAX) / 2)))
        .addService(new AuthService(this, authorizer.events()))
        .intercept(new io.sluice.node.security.AuthorizationInterceptor(authorizer));
    // The last added runs first: metrics see every call, then authentication, then extra
    // interceptors (tests setting a principal), then authorization.
    extraInterceptors.forEach(server::intercept);
    server.intercept(authenticator).intercept(monitoring.grpcInterceptor());
    try {
      grpcServer = server.build().start();
    } catch (IOException e) {
      // Raft already runs: stop it (as a crash would) so a refused start leaves nothing behind.
      IOException refusal = new IOException("node " + config.nodeId() + " cannot serve clients on " + listen
          + " (listen): " + describe(e), e);
      LOG.error("{}", refusal.getMessage());
      stopWithoutHandOff();
      throw refusal;
    }
    serving.set(true);
    monitoring.start();
    if (tls != null && config.getLong(NodeConfig.TLS_RELOAD_INTERVAL_MS) > 0) {
      tls.watch(scheduler, config.getLong(NodeConfig.TLS_RELOAD_INTERVAL_MS));
    }
    scheduler.scheduleWithFixedDelay(this::registerClientAddress, 0, 500, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(this::saveContacts, 0, 1000, TimeUnit.MILLISECONDS);
    long retentionMs = config.getLong(NodeConfig.RETENTION_CHECK_INTERVAL_MS);
    scheduler.scheduleWithFixedDelay(new RetentionEnforcer(this), retentionMs, retentionMs, TimeUnit.MILLISECONDS);
    if (authorizer.enabled()) {
      long recheckMs = config.getLong(NodeConfig.AUTH_RECHECK_INTERVAL_MS);
      scheduler.scheduleWithFixedDelay(fetchService::recheckSubscriptions, recheckMs, recheckMs, TimeUnit.MILLISECONDS);
    }
    long livenessMs = config.getLong(NodeConfig.GROUP_LIVENESS_CHECK_INTERVAL_MS);
    scheduler.scheduleWithFixedDelay(groupCoordinator, livenessMs, livenessMs, TimeUnit.MILLISECONDS);
    LOG.info("node {} serving clients on {} (advertised {}), Raft on {}, HTTP on {}, data in {}, {}", config.nodeId(),
        clientAddress(), config.advertisedListen(), config.raftListen(), httpAddress(), dataDir.toAbsolutePath(),
        tls == null ? "plaintext" : "TLS (client auth " + config.get(NodeConfig.TLS_CLIENT_AUTH) + ", Raft mutual TLS, "
            + tls.certificate().getSubjectX500Principal().getName() + " valid until " + tls.certificate().getNotAfter().toInstant() + ")");
    return this;
  }

  /**
   * Starts the Raft server on the local storage, or, when that storage is found damaged or an
   * earlier recovery is unfinished, recovers from the peers (or refuses, see {@link #recoverFromPeers}).
   */
  private void startRaft(StorageRecovery recovery, Optional<StorageRecovery.Phase> pending, boolean fresh)
      throws IOException {
    if (pending.isPresent()) {
      // An earlier recovery did not finish: the local Raft storage must not be started from.
      recoverFromPeers(recovery, pending.get(), recovery.pendingReason(), Map.of());
      return;
    }
    try {
      raftServer = newRaftServer(group, fresh);
      startRaftServer();
    } catch (IOException | RuntimeException e) {
      String damage = damageOf(e);
      LogCore core = stateMachine.core();
      Map<String, String> directory = core == null ? Map.of() : Map.copyOf(core.nodes());
      closeFailedStart(e);
      if (damage == null) {
        throw e;
      }
      recoverFromPeers(recovery, null, damage, directory);
    }
  }

  private RaftServer newRaftServer(RaftGroup startGroup, boolean format) throws IOException {
    return RaftServer.newBuilder()
        .setServerId(selfId)
        .setGroup(startGroup)
        .setProperties(raftProperties)
        .setParameters(raftParameters)
        .setStateMachine(stateMachine)
        .setOption(format ? RaftStorage.StartupOption.FORMAT : RaftStorage.StartupOption.RECOVER)
        .build();
  }

  /** Starts {@link #raftServer}; a Raft port that cannot be bound fails it with a message naming raft.listen. */
  private void startRaftServer() throws IOException {
    try {
      raftServer.start();
    } catch (ExitUtils.ExitException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IOException("node " + config.nodeId() + " cannot listen for Raft on " + config.raftListen()
          + " (raft.listen): " + describe(cause), e);
    }
  }

  /** The innermost cause's message, e.g. "Address already in use", with its type when it has none. */
  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /** Closes what a failed start left open (the Raft server, and RocksDB, which it may not close). */
  private void closeFailedStart(Throwable failure) {
    try {
      if (raftServer != null) {
        raftServer.close();
      }
    } catch (IOException | RuntimeException closing) {
      failure.addSuppressed(closing);
    }
    try {
      stateMachine.close();
    } catch (IOException | RuntimeException closing) {
      failure.addSuppressed(closing);
    }
    raftServer = null;
  }

  /**
   * When {@code failure} (Raft server start) is damaged storage, what is damaged: a Raft log entry
   * failing its CRC (Ratis checks one per entry) or a segment whose header is not Ratis's, or the latest snapshot or the state database
   * failing a checksum or a consistency check ({@link StorageCorruptException}). Null otherwise
   * (a held lock, a full disk, a bad address: the storage is not at fault and is left alone).
   */
  static String damageOf(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof org.apache.ratis.protocol.exceptions.ChecksumException // an entry's CRC
          || t instanceof org.apache.ratis.io.CorruptedFileException // a segment's header
          || t instanceof StorageCorruptException) {
        return t.getMessage();
      }
    }
    return null;
  }

  /**
   * The leader's wait between attempts to reach a follower that keeps failing, in Ratis's
   * "sleep,count, sleep,count…" form: retry at once ten times, then every 100 ms twenty times, then
   * every {@code backoffMaxMs} (capped at half the election timeout) for as long as it takes.
   * Ratis's default ends at 5 s, longer than an election timeout.
   */
  static String appenderRetryPolicy(long backoffMaxMs, long electionTimeoutMinMs) {
    long max = Math.max(1, Math.min(backoffMaxMs, electionTimeoutMinMs / 2));
    return "1ms,10, " + Math.min(100, max) + "ms,20, " + max + "ms," + Integer.MAX_VALUE;
  }

  /**
   * Storage found damaged (or a recovery left unfinished): with {@code storage.damage.recovery=auto}
   * rejoins from the peers (see {@link StorageRecovery} for the steps and why they are safe);
   * returns once this node is a caught-up voter running on a fresh copy. Otherwise, or when that
   * cannot be done, throws the refusal to start; nothing damaged was served or applied.
   *
   * @param phase     where an earlier recovery stopped; null when the damage was just found
   * @param directory client addresses from the state database, when it loaded
   */
  private void recoverFromPeers(StorageRecovery recovery, StorageRecovery.Phase phase, String damage,
      Map<String, String> directory) throws IOException {
    Path raftDir = config.dataDir().resolve("raft");
    String manual = "To recover by hand, from a healthy node run `sluice cluster remove-node " + config.nodeId()
        + "`, move data.dir " + config.dataDir() + " aside, start this node with join=true (an empty data.dir)"
        + " and run `sluice cluster add-node " + config.nodeId() + "=" + config.raftListen() + "`: it catches up"
        + " from its peers (snapshot install).";
    String found = phase == null ? "its Raft storage in " + raftDir + " is damaged (" + damage + ")"
        : "a recovery from damaged storage is unfinished (" + StorageRecovery.MARKER + " in " + config.dataDir()
        + "; damage: " + damage + ")";
    if (!recovery.automatic()) {
      IOException refusal = new IOException("node " + config.nodeId() + " refuses to start: " + found
          + ". Nothing from it was served or applied on this start (storage.damage.recovery=manual). " + manual);
      LOG.error("{}", refusal.getMessage());
      throw refusal;
    }
    Map<String, String> contacts = recovery.peerContacts(directory);
    if (contacts.isEmpty()) {
      IOException refusal = new IOException("node " + config.nodeId() + " refuses to start: " + found
          + ". Nothing from it was served or applied. It cannot recover from peers: it knows no other node's client"
          + " address (a single-node cluster, or no " + StorageRecovery.CONTACTS + " in " + config.dataDir()
          + "). A single-node cluster's data is lost unless restored from a backup. " + manual);
      LOG.error("{}", refusal.getMessage());
      throw refusal;
    }
    LOG.error("node {}: {}. Nothing from it was served or applied. Recovering from the peers {}"
        + " (storage.damage.recovery=auto): remove the old identity, move the storage aside, rejoin empty, catch up",
        config.nodeId(), found, contacts);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(recovery.timeoutMs());
    try {
      if (phase == null) {
        recovery.mark(StorageRecovery.Phase.REMOVE, damage, "");
      } else if (phase == StorageRecovery.Phase.REBUILD) {
        recovery.discardPartialCopy();
      }
      // Out of the configuration before anything runs here again: the node cannot vote meanwhile.
      recovery.removeOldIdentity(contacts, deadline);
      if (phase != StorageRecovery.Phase.REBUILD) {
        Path aside = recovery.moveAside(damage);
        LOG.warn("node {}: moved the damaged storage to {} (kept for forensics, never read)", config.nodeId(), aside);
        recovery.mark(StorageRecovery.Phase.REBUILD, damage, aside.toString());
      } else {
        recovery.mark(StorageRecovery.Phase.REBUILD, damage, "");
      }
      stateMachine = stateMachine.successor(); // a failed start's instance cannot be reused
      // Empty and outside any configuration, as with join: it grants no votes until added back.
      raftServer = newRaftServer(RaftGroup.valueOf(group.getGroupId(), List.of()), true);
      startRaftServer();
      recovery.addBack(contacts, deadline);
      awaitCaughtUp(deadline);
      recovery.clear();
    } catch (IOException | RuntimeException e) {
      closeFailedStart(e);
      IOException refusal = new IOException("node " + config.nodeId() + " refuses to start: " + found
          + "; recovering from the peers did not finish: " + e.getMessage() + ". Nothing damaged was served or applied;"
          + " restarting the node goes on with the recovery (" + StorageRecovery.MARKER + "). " + manual, e);
      LOG.error("{}", refusal.getMessage());
      throw refusal;
    }
    LOG.info("node {}: recovered from damaged storage: a voter again, caught up to index {}", config.nodeId(),
        stateMachine.core().applied().index());
  }

  /** Until this node is a voter that applied the commit index it knows of (at least one entry). */
  private void awaitCaughtUp(long deadlineNanos) throws IOException {
    while (true) {
      RaftServer.Division d = division();
      boolean voter = d.getRaftConf().getCurrentPeers(org.apache.ratis.proto.RaftProtos.RaftPeerRole.FOLLOWER).stream()
          .anyMatch(p -> p.getId().equals(selfId));
      long commit = d.getRaftLog().getLastCommittedIndex();
      LogCore core = stateMachine.core();
      if (voter && commit > 0 && core != null && core.applied().index() >= commit && leaderId().isPresent()) {
        return;
      }
      if (System.nanoTime() > deadlineNanos) {
        throw new IOException("not caught up in time: voter " + voter + ", commit index " + commit + ", applied "
            + (core == null ? -1 : core.applied().index()));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while catching up", e);
      }
    }
  }

  private RaftProperties raftProperties(Path raftDir) {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
    HostPort raft = config.raftListen();
    GrpcConfigKeys.Server.setHost(p, raft.host());
    GrpcConfigKeys.Server.setPort(p, raft.port());
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(config.getLong(NodeConfig.ELECTION_TIMEOUT_MIN_MS)));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(config.getLong(NodeConfig.ELECTION_TIMEOUT_MAX_MS)));
    // Read-only queries (linearizable ListOffsets) use ReadIndex, so any node can answer them.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, config.getLong(NodeConfig.SNAPSHOT_THRESHOLD_ENTRIES));
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, config.getInt(NodeConfig.LOG_PURGE_GAP_ENTRIES));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(config.getLong(NodeConfig.LOG_SEGMENT_BYTES_MAX)));
    // A node being added votes only once within this many entries of the leader (see Membership).
    RaftServerConfigKeys.setStagingCatchupGap(p, config.getInt(NodeConfig.MEMBERSHIP_CATCHUP_LAG_ENTRIES_MAX));
    // A produce request may be up to request.bytes.max; Ratis must carry it in one entry.
    SizeInBytes entryMax = SizeInBytes.valueOf(
        Math.max(config.getLong(NodeConfig.REQUEST_BYTES_MAX), config.groupEntryBytesMax()) + (1 << 20));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(
        Math.max(entryMax.getSize(), config.getInt(NodeConfig.RAFT_APPENDER_BUFFER_BYTES_MAX))));
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(entryMax.getSize() * 2, 64L << 20)));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(
        Math.max(entryMax.getSize() + 1024, config.getInt(NodeConfig.RAFT_LOG_WRITE_BUFFER_BYTES))));
    // Throughput settings of the log and the appenders (see NodeConfig). Durability does not depend
    // on them: Ratis acknowledges an entry only once a majority has fsynced it.
    RaftServerConfigKeys.Log.setForceSyncNum(p, config.getInt(NodeConfig.RAFT_LOG_FORCE_SYNC_ENTRIES));
    GrpcConfigKeys.Server.setLeaderOutstandingAppendsMax(p,
        config.getInt(NodeConfig.RAFT_APPENDER_OUTSTANDING_APPENDS_MAX));
    // A slow follower (fsync, GC, a loaded machine, one just back from a pause) must still catch up:
    // give it time to answer, and never back off for longer than a fraction of an election timeout.
    RaftServerConfigKeys.Rpc.setRequestTimeout(p, ms(config.getLong(NodeConfig.RAFT_RPC_REQUEST_TIMEOUT_MS)));
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, appenderRetryPolicy(
        config.getLong(NodeConfig.RAFT_APPENDER_ERROR_BACKOFF_MAX_MS), config.getLong(NodeConfig.ELECTION_TIMEOUT_MIN_MS)));
    return p;
  }

  private static TimeDuration ms(long v) {
    return TimeDuration.valueOf(v, TimeUnit.MILLISECONDS);
  }

  /**
   * Refuses a data directory that belongs to another cluster or another node id. The peers it was
   * first started with are only reported: once the Raft storage exists, the membership Ratis
   * stored (changed at run time with add-node / remove-node) wins over {@code peers}.
   */
  private void checkDataDir(Path dataDir, boolean fresh) throws IOException {
    Path file = dataDir.resolve("cluster.properties");
    String peers = config.join() ? "(join)" : canonicalPeers(config.peers());
    if (!Files.exists(file)) {
      Files.writeString(file, "# written on first start; cluster.id and node.id are checked on every start\n"
          + "cluster.id=" + config.clusterId() + "\npeers=" + peers + "\nnode.id=" + config.nodeId() + "\n");
      return;
    }
    java.util.Properties stored = new java.util.Properties();
    try (var r = Files.newBufferedReader(file)) {
      stored.load(r);
    }
    List<String> problems = new ArrayList<>();
    if (!config.clusterId().equals(stored.getProperty("cluster.id"))) {
      problems.add("cluster.id is '" + config.clusterId() + "' but the data directory belongs to cluster '"
          + stored.getProperty("cluster.id") + "'");
    }
    if (!config.nodeId().equals(stored.getProperty("node.id"))) {
      problems.add("node.id is '" + config.nodeId() + "' but the data directory belongs to node '"
          + stored.getProperty("node.id") + "'");
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("refusing to start with data directory " + dataDir + ": "
          + String.join("; ", problems));
    }
    if (!fresh && !config.join() && !peers.equals(stored.getProperty("peers"))) {
      LOG.warn("peers {} differ from those data directory {} was first started with ({}); the membership"
          + " stored in the Raft log is used, peers are ignored", peers, dataDir, stored.getProperty("peers"));
    }
  }

  private static String canonicalPeers(Map<String, HostPort> peers) {
    return peers.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .map(e -> e.getKey() + "=" + e.getValue()).reduce((a, b) -> a + "," + b).orElse("");
  }

  /**
   * Keeps {@link StorageRecovery#CONTACTS} equal to the replicated node directory: the peers a
   * node with damaged storage asks for help, read from outside the storage it then discards.
   * Scheduler thread only.
   */
  private void saveContacts() {
    try {
      Map<String, String> nodes = Map.copyOf(stateMachine.core().nodes());
      if (!nodes.equals(savedContacts) && !nodes.isEmpty()) {
        StorageRecovery.saveContacts(config.dataDir(), nodes);
        savedContacts = nodes;
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("saving the cluster's client addresses to {} failed: {}", config.dataDir(), e.toString());
    }
  }

  /** Makes sure the replicated node directory holds this node's client address. */
  private void registerClientAddress() {
    try {
      String address = config.advertisedListen().toString();
      if (address.equals(stateMachine.core().nodes().get(config.nodeId())) || leaderId().isEmpty()
          || stopping.get()) {
        return; // registered already, no leader to take it yet, or stopping
      }
      CompletableFuture<?> inFlight = registration.get();
      if (inFlight != null && !inFlight.isDone()) {
        return;
      }
      RaftClient raftClient = registrationClient();
      if (raftClient == null) {
        return; // not a member yet (a joining node before add-node)
      }
      Command command = Command.newBuilder()
          .setTimestampMs(System.currentTimeMillis())
          .setRegisterNode(RegisterNode.newBuilder().setNodeId(config.nodeId()).setClientAddress(address))
          .build();
      registration.set(raftClient.async().send(Message.valueOf(ByteString.copyFrom(command.toByteArray())))
          .orTimeout(5, TimeUnit.SECONDS)
          .exceptionally(e -> {
            // A Ratis client whose ordered request ran out of retries (elections that outlast its
            // retry policy, as on a loaded machine) closes for good: every later send fails with
            // AlreadyClosedException. Build a new one for the next attempt.
            registrationClientFailed = true;
            LOG.debug("registering client address not done yet: {}", e.toString());
            return null;
          }));
    } catch (RuntimeException | IOException e) {
      LOG.warn("registering client address failed: {}", e.toString());
    }
  }

  /**
   * A Raft client addressed to the current voters, rebuilt when they change (a joining node starts
   * with none; members come and go) and after a failed send (which may have closed it). Only the
   * scheduler thread calls this.
   */
  private RaftClient registrationClient() throws IOException {
    List<RaftPeer> voters = List.copyOf(division().getRaftConf().getCurrentPeers());
    if (voters.isEmpty()) {
      return null;
    }
    RaftClient current = raftClient;
    boolean failed = registrationClientFailed;
    if (current != null && !failed && current.getGroupId().equals(group.getGroupId())
        && samePeers(raftClientVoters, voters)) {
      return current;
    }
    registrationClientFailed = false;
    if (current != null) {
      current.close();
    }
    raftClientVoters = voters;
    raftClient = RaftClient.newBuilder()
        .setProperties(raftProperties)
        .setParameters(raftParameters)
        .setRaftGroup(RaftGroup.valueOf(group.getGroupId(), voters))
        .setClientId(ClientId.randomId())
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(10, TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
        .build();
    return raftClient;
  }

  private static boolean samePeers(List<RaftPeer> a, List<RaftPeer> b) {
    return a.size() == b.size() && a.stream().map(p -> p.getId() + "@" + p.getAddress()).collect(Collectors.toSet())
        .equals(b.stream().map(p -> p.getId() + "@" + p.getAddress()).collect(Collectors.toSet()));
  }

  // -------------------------------------------------------------------------------------------
  // For the services

  String id() {
    return config.nodeId();
  }

  /** The Subscribe/Fetch service (tests read its stream count and bytes sent). */
  Monitoring monitoring() {
    return monitoring;
  }

  io.sluice.node.quota.Quotas quotas() {
    return quotas;
  }

  ScheduledExecutorService throttler() {
    return throttler;
  }

  ConnectionLimiter connectionLimiter() {
    return connectionLimiter;
  }

  FetchService fetchService() {
    return fetchService;
  }

  NodeConfig config() {
    return config;
  }

  RaftServer raftServer() {
    return raftServer;
  }

  RaftGroupId groupId() {
    return group.getGroupId();
  }

  GroupCommit groupCommit() {
    return groupCommit;
  }

  Proposer proposer() {
    return proposer;
  }

  Membership membership() {
    return membership;
  }

  ApplySignal applySignal() {
    return applySignal;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  public LogCore core() {
    return stateMachine.core();
  }

  public SluiceStateMachine stateMachine() {
    return stateMachine;
  }

  public RaftServer.Division division() {
    try {
      return raftServer.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new IllegalStateException("Raft group " + group.getGroupId() + " is not on node " + id(), e);
    }
  }

  public boolean isLeader() {
    return serving.get() && division().getInfo().isLeader();
  }

  /** The leader's id as this node knows it. */
  public Optional<String> leaderId() {
    RaftPeerId leader = division().getInfo().getLeaderId();
    return Optional.ofNullable(leader).map(RaftPeerId::toString);
  }

  /**
   * Client address of every member of the current Raft configuration (voters, then listeners),
   * from the replicated directory (empty when not registered yet).
   */
  Map<String, String> clientAddresses() {
    Map<String, String> registered = core().nodes();
    Map<String, String> out = new LinkedHashMap<>();
    for (Membership.Member m : membership.members()) {
      out.put(m.id(), registered.getOrDefault(m.id(), ""));
    }
    return out;
  }

  /** Null when this node may propose a write now, otherwise the error to return. */
  StatusRuntimeException writeRefusal() {
    String disk = diskGuard.refusal();
    if (disk != null && serving.get() && !stopping.get()) {
      return Errors.notWritten(ErrorReason.DISK_FULL, "node " + id() + ": " + disk);
    }
    StatusRuntimeException refusal = leaderRefusal();
    if (refusal == null && handingOver.get()) {
      return Errors.notWritten(ErrorReason.NO_LEADER, "leader " + id() + " is handing leadership over; retry");
    }
    return refusal;
  }

  /**
   * Holds new writes back (refused, not written) and waits until none this node proposed is
   * waiting for commit, so that none is in flight when leadership moves (their clients would
   * otherwise learn nothing about them). Call {@link #releaseWrites} after the move.
   *
   * @return false if writes were still in flight after {@code timeoutMs}
   */
  boolean holdWrites(long timeoutMs) {
    handingOver.set(true);
    return proposer.awaitIdle(timeoutMs);
  }

  void releaseWrites() {
    handingOver.set(false);
  }

  /**
   * Null when this node is the serving leader, otherwise the error to return (NOT_LEADER with the
   * leader hint, NO_LEADER, NODE_NOT_READY). For membership changes, which low disk does not stop.
   */
  StatusRuntimeException leaderRefusal() {
    if (stopping.get()) {
      lastStopRefusalNanos.set(System.nanoTime());
      Optional<String> leader = leaderId();
      if (leader.isPresent() && !leader.get().equals(id())) {
        return notLeader(leader.get()); // handed over already: send the client on
      }
      return Errors.notWritten(ErrorReason.NODE_NOT_READY, "node " + id() + " is shutting down; retry");
    }
    if (!serving.get()) {
      return Errors.notWritten(ErrorReason.NODE_NOT_READY, "node " + id() + " is not serving yet");
    }
    if (!division().getInfo().isLeader()) {
      Optional<String> leader = leaderId();
      if (leader.isEmpty() || leader.get().equals(id())) {
        return Errors.notWritten(ErrorReason.NO_LEADER, "no leader is known to node " + id()
            + " (election in progress, or no majority reachable); retry");
      }
      return notLeader(leader.get());
    }
    return null;
  }

  /** Address of /metrics and /health/* (the bound port when configured as 0). */
  public HostPort httpAddress() {
    return monitoring.httpAddress();
  }

  /** Writes waiting for commit on this node now: proposed ones and produce requests waiting to be merged. */
  public int pendingWrites() {
    return proposer.pendingWrites() + groupCommit.queued();
  }

  /** Produce entries this node proposed through group commit, since it started. */
  public long groupCommitEntries() {
    return groupCommit.counts()[0];
  }

  /** Produce requests those entries carried; over {@link #groupCommitEntries()}, the merge ratio. */
  public long groupCommitRequests() {
    return groupCommit.counts()[1];
  }

  /** Produce requests held for their producer's order, and those whose wait ran out (see {@link GroupCommit}). */
  public long[] produceOrderCounts() {
    return groupCommit.orderCounts();
  }

  private StatusRuntimeException notLeader(String leader) {
    Map<String, String> md = new LinkedHashMap<>();
    md.put(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN);
    md.put(SluiceErrors.LEADER_ID, leader);
    String address = core().nodes().getOrDefault(leader, "");
    if (!address.isEmpty()) {
      md.put(SluiceErrors.LEADER_ADDRESS, address);
    }
    return Errors.of(ErrorReason.NOT_LEADER, "node " + id() + " is not the leader; the leader is "
        + leader + (address.isEmpty() ? "" : " at " + address), md);
  }

  /** The node this one handed leadership to when it stopped as leader (empty otherwise). */
  Optional<String> handedLeadershipTo() {
    return Optional.ofNullable(handedLeadershipTo);
  }

  /** Whether the client port and Raft use TLS. */
  public boolean tlsEnabled() {
    return tls != null;
  }

  /** The actual client address (the bound port when configured as 0). */
  public HostPort clientAddress() {
    return new HostPort(config.listen().host(), grpcServer.getPort());
  }

  /**
   * Graceful stop, what SIGTERM runs: new writes are refused (NOT_LEADER with the new leader, or
   * NODE_NOT_READY: both certainly not written, so clients retry them elsewhere); writes in flight
   * finish (at most {@code drain.timeout.ms}); a leader hands leadership to its most
   * up-to-date reachable follower (at most {@code leader.transfer.timeout.ms}); then client calls
   * still running get a moment to end, and Ratis and RocksDB close.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      drain();
    } catch (RuntimeException e) {
      LOG.warn("node {}: graceful stop incomplete: {}", config.nodeId(), e.toString());
    }
    shutdown(true);
  }

  /**
   * Stops without draining writes or handing leadership over: the nearest thing to a crash a test
   * in one JVM has (writes in flight fail; followers elect a new leader after a timeout).
   */
  void stopWithoutHandOff() {
    if (closed.compareAndSet(false, true)) {
      shutdown(false);
    }
  }

  private void drain() {
    if (raftServer == null || grpcServer == null) {
      return;
    }
    stopping.set(true);
    long drainMs = config.getLong(NodeConfig.DRAIN_TIMEOUT_MS);
    if (!proposer.awaitIdle(drainMs)) {
      LOG.warn("node {}: writes still in flight after {} ms; stopping anyway (their outcome is unknown to"
          + " their clients)", config.nodeId(), drainMs);
    }
    if (division().getInfo().isLeader()) {
      handedLeadershipTo = membership.handOffLeadership().orElse(null);
    }
    awaitClientsMoved(drainMs);
  }

  /**
   * Keeps answering (NOT_LEADER with the new leader, or NODE_NOT_READY) until no write has come
   * for {@link #CLIENTS_MOVED_QUIET_MS}, at most {@code timeoutMs}: a write sent just before the
   * gRPC server closes would otherwise fail in transport, and its client could not tell whether
   * it was written.
   */
  private void awaitClientsMoved(long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    long quietNanos = TimeUnit.MILLISECONDS.toNanos(CLIENTS_MOVED_QUIET_MS);
    while (lastStopRefusalNanos.get() != 0 && System.nanoTime() - lastStopRefusalNanos.get() < quietNanos
        && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void shutdown(boolean letCallsFinish) {
    monitoring.close();
    serving.set(false);
    stopping.set(true);
    scheduler.shutdownNow();
    throttler.shutdownNow();
    if (adminService != null) {
      adminService.close();
    }
    if (grpcServer != null) {
      grpcServer.shutdown();
      if (letCallsFinish) {
        awaitTermination(grpcServer, 2);
      }
    }
    try {
      RaftClient c = raftClient;
      if (c != null) {
        c.close();
      }
    } catch (IOException e) {
      LOG.warn("closing Raft client: {}", e.toString());
    }
    try {
      if (raftServer != null) {
        raftServer.close(); // closes the state machine, which flushes and closes RocksDB
      }
    } catch (IOException e) {
      LOG.warn("closing Raft server: {}", e.toString());
    }
    if (grpcServer != null) {
      awaitTermination(grpcServer, 5);
    }
    LOG.info("node {} stopped", config.nodeId());
  }

  private static void awaitTermination(Server server, long seconds) {
    try {
      if (!server.awaitTermination(seconds, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
  }
}
