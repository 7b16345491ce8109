package io.sluice.node;

import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.RegisterNode;
import io.sluice.node.metrics.Monitoring;
import io.sluice.protocol.SluiceErrors;
import io.sluice.statemachine.LogCore;
import io.sluice.statemachine.SluiceStateMachine;
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
 * directory belongs to, checked on every start, and the peers it was first started with).
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
  /** A stopping node closes its client port only after this long without a write to refuse. */
  static final long CLIENTS_MOVED_QUIET_MS = 250;

  private final NodeConfig config;
  private final RaftGroup group;
  private final RaftPeerId selfId;
  private final SluiceStateMachine stateMachine;
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
  private final Membership membership = new Membership(this);
  private RaftServer raftServer;
  private RaftProperties raftProperties;
  private volatile RaftClient raftClient; // for registering; rebuilt when the voters change
  private List<RaftPeer> raftClientVoters = List.of(); // what raftClient was built for; scheduler thread only
  private AdminService adminService;
  private final GroupCoordinator groupCoordinator = new GroupCoordinator(this, System::nanoTime);
  private volatile FetchService fetchService;
  private Server grpcServer;

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
        config.getInt(NodeConfig.SNAPSHOTS_RETAINED));
    this.diskGuard = new DiskGuard(config.getLong(NodeConfig.DISK_FREE_BYTES_MIN),
        freeBytes != null ? freeBytes : DiskGuard.usableSpaceOf(config.dataDir()));
    this.proposer = new Proposer(this, config.getLong(NodeConfig.COMMIT_TIMEOUT_MS),
        config.getInt(NodeConfig.PENDING_WRITES_MAX));
    this.groupCommit = new GroupCommit(this, config.getInt(NodeConfig.GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX),
        config.getInt(NodeConfig.GROUP_COMMIT_REQUESTS_MAX), config.getInt(NodeConfig.GROUP_COMMIT_BYTES_MAX),
        config.getInt(NodeConfig.PENDING_WRITES_MAX), config.getLong(NodeConfig.PRODUCE_ORDER_WAIT_MS));
    this.monitoring = new Monitoring(config);
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-" + config.nodeId() + "-scheduler");
      t.setDaemon(true);
      return t;
    });
  }

  /** The Raft group id for a cluster name: stable, so every node derives the same one. */
  public static RaftGroupId groupIdOf(String clusterId) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("sluice-cluster:" + clusterId).getBytes(StandardCharsets.UTF_8)));
  }

  public SluiceNode start() throws IOException {
    Path dataDir = config.dataDir();
    Files.createDirectories(dataDir);
    Path raftDir = dataDir.resolve("raft");
    boolean fresh = !Files.exists(raftDir.resolve(group.getGroupId().getUuid().toString()));
    checkDataDir(dataDir, fresh);
    RaftProperties props = raftProperties(raftDir);
    monitoring.bind(this); // takes the HTTP port before Raft starts: a clash fails before anything runs
    raftProperties = props;
    stateMachine.addAppliedListener(applySignal::fire);
    raftServer = RaftServer.newBuilder()
        .setServerId(selfId)
        .setGroup(group)
        .setProperties(props)
        .setStateMachine(stateMachine)
        .setOption(fresh ? RaftStorage.StartupOption.FORMAT : RaftStorage.StartupOption.RECOVER)
        .build();
    try {
      raftServer.start();
    } catch (IOException | RuntimeException e) {
      IOException refusal = damagedStorage(raftDir, e);
      if (refusal == null) {
        throw e;
      }
      LOG.error("{}", refusal.getMessage(), e);
      try {
        raftServer.close();
      } catch (IOException | RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw refusal;
    }
    LOG.info("node {}: Raft membership {}{}", config.nodeId(), membership.describe(),
        config.join() && fresh ? " (joining: waiting for `sluice cluster add-node " + config.nodeId() + "="
            + config.raftListen() + "`)" : "");
    adminService = new AdminService(this);
    HostPort listen = config.listen();
    grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress(listen.host(), listen.port()))
        // Set deliberately, from named keys: what the transport buffers per message and per header block.
        .maxInboundMessageSize(config.grpcInboundMessageBytesMax())
        .maxInboundMetadataSize(config.getInt(NodeConfig.GRPC_INBOUND_METADATA_BYTES_MAX))
        .maxConcurrentCallsPerConnection(config.getInt(NodeConfig.GRPC_CONNECTION_CALLS_MAX))
        .addService(new ProduceService(this))
        .addService(fetchService = new FetchService(this))
        .addService(new TopicService(this))
        .addService(new ClusterService(this))
        .addService(adminService)
        .addService(new GroupService(this, groupCoordinator, new CommitBatcher(this,
            config.getInt(NodeConfig.GROUP_COMMIT_BATCH_COMMITS_MAX), config.getInt(NodeConfig.GROUP_COMMIT_QUEUE_COMMITS_MAX),
            config.getInt(NodeConfig.REQUEST_BYTES_MAX) / 2)))
        .intercept(monitoring.grpcInterceptor())
        .build()
        .start();
    serving.set(true);
    monitoring.start();
    scheduler.scheduleWithFixedDelay(this::registerClientAddress, 0, 500, TimeUnit.MILLISECONDS);
    long retentionMs = config.getLong(NodeConfig.RETENTION_CHECK_INTERVAL_MS);
    scheduler.scheduleWithFixedDelay(new RetentionEnforcer(this), retentionMs, retentionMs, TimeUnit.MILLISECONDS);
    long livenessMs = config.getLong(NodeConfig.GROUP_LIVENESS_CHECK_INTERVAL_MS);
    scheduler.scheduleWithFixedDelay(groupCoordinator, livenessMs, livenessMs, TimeUnit.MILLISECONDS);
    LOG.info("node {} serving clients on {} (advertised {}), Raft on {}, HTTP on {}, data in {}", config.nodeId(),
        clientAddress(), config.advertisedListen(), config.raftListen(), httpAddress(), dataDir.toAbsolutePath());
    return this;
  }

  /**
   * When {@code failure} (Raft server start) is damaged storage, the refusal to report: a Raft log
   * entry failing its CRC (Ratis checks one per entry) or a snapshot failing its checks. The node
   * then refuses to start rather than serve or apply bad data. It does not repair itself: a member
   * that lost acknowledged entries must not vote as if it had them, so it rejoins as a new member.
   */
  private IOException damagedStorage(Path raftDir, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      boolean crc = t instanceof org.apache.ratis.protocol.exceptions.ChecksumException;
      boolean snapshot = t instanceof IOException && t.getMessage() != null && t.getMessage().startsWith("snapshot ")
          && t.getMessage().contains("corrupt");
      if (crc || snapshot) {
        return new IOException("node " + config.nodeId() + " refuses to start: its Raft storage in " + raftDir
            + " is damaged (" + t.getMessage() + "). Nothing from it was served or applied on this start. To recover, from a"
            + " healthy node run `sluice cluster remove-node " + config.nodeId() + "`, move data.dir " + config.dataDir()
            + " aside, start this node with join=true (an empty data.dir) and run `sluice cluster"
            + " add-node " + config.nodeId() + "=" + config.raftListen() + "`: it catches up from its peers"
            + " (snapshot install).", failure);
      }
    }
    return null;
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
            LOG.debug("registering client address not done yet: {}", e.toString());
            return null;
          }));
    } catch (RuntimeException | IOException e) {
      LOG.warn("registering client address failed: {}", e.toString());
    }
  }

  /**
   * A Raft client addressed to the current voters, rebuilt when they change (a joining node starts
   * with none; members come and go). Only the scheduler thread calls this.
   */
  private RaftClient registrationClient() throws IOException {
    List<RaftPeer> voters = List.copyOf(division().getRaftConf().getCurrentPeers());
    if (voters.isEmpty()) {
      return null;
    }
    RaftClient current = raftClient;
    if (current != null && current.getGroupId().equals(group.getGroupId())
        && samePeers(raftClientVoters, voters)) {
      return current;
    }
    if (current != null) {
      current.close();
    }
    raftClientVoters = voters;
    raftClient = RaftClient.newBuilder()
        .setProperties(raftProperties)
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
