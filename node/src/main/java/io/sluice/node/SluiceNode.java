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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
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
 * {@code state/} (the live RocksDB), {@code cluster.properties} (the membership this node was
 * first started with, checked on every start).
 *
 * <p>Thread-safe; {@link #start} and {@link #close} are called once each.
 */
public final class SluiceNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);

  private final NodeConfig config;
  private final RaftGroup group;
  private final RaftPeerId selfId;
  private final SluiceStateMachine stateMachine;
  private final DiskGuard diskGuard;
  private final ApplySignal applySignal = new ApplySignal();
  private final ScheduledExecutorService scheduler;
  private final AtomicBoolean serving = new AtomicBoolean();
  private final AtomicReference<CompletableFuture<?>> registration = new AtomicReference<>();
  private final Proposer proposer;
  private final Monitoring monitoring;
  private RaftServer raftServer;
  private RaftClient raftClient;
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
    this.group = RaftGroup.valueOf(groupIdOf(config.clusterId()), peers);
    this.stateMachine = new SluiceStateMachine(config.dataDir().resolve("state"), config.limits(),
        config.getInt(NodeConfig.SNAPSHOTS_RETAINED));
    this.diskGuard = new DiskGuard(config.getLong(NodeConfig.DISK_FREE_BYTES_MIN),
        freeBytes != null ? freeBytes : DiskGuard.usableSpaceOf(config.dataDir()));
    this.proposer = new Proposer(this, config.getLong(NodeConfig.COMMIT_TIMEOUT_MS),
        config.getInt(NodeConfig.PENDING_WRITES_MAX));
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
    checkMembership(dataDir);
    Path raftDir = dataDir.resolve("raft");
    boolean fresh = !Files.exists(raftDir.resolve(group.getGroupId().getUuid().toString()));
    RaftProperties props = raftProperties(raftDir);
    monitoring.bind(this); // takes the HTTP port first: a clash fails before anything starts
    stateMachine.addAppliedListener(applySignal::fire);
    raftServer = RaftServer.newBuilder()
        .setServerId(selfId)
        .setGroup(group)
        .setProperties(props)
        .setStateMachine(stateMachine)
        .setOption(fresh ? RaftStorage.StartupOption.FORMAT : RaftStorage.StartupOption.RECOVER)
        .build();
    raftServer.start();
    raftClient = RaftClient.newBuilder()
        .setProperties(props)
        .setRaftGroup(group)
        .setClientId(ClientId.randomId())
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(10, TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
        .build();
    HostPort listen = config.listen();
    grpcServer = NettyServerBuilder.forAddress(new InetSocketAddress(listen.host(), listen.port()))
        .maxInboundMessageSize(config.getInt(NodeConfig.REQUEST_BYTES_MAX) + (1 << 20))
        .addService(new ProduceService(this))
        .addService(new FetchService(this))
        .addService(new TopicService(this))
        .addService(new ClusterService(this))
        .intercept(monitoring.grpcInterceptor())
        .build()
        .start();
    serving.set(true);
    monitoring.start();
    scheduler.scheduleWithFixedDelay(this::registerClientAddress, 0, 500, TimeUnit.MILLISECONDS);
    long retentionMs = config.getLong(NodeConfig.RETENTION_CHECK_INTERVAL_MS);
    scheduler.scheduleWithFixedDelay(new RetentionEnforcer(this), retentionMs, retentionMs, TimeUnit.MILLISECONDS);
    LOG.info("node {} serving clients on {} (advertised {}), Raft on {}, HTTP on {}, data in {}", config.nodeId(),
        clientAddress(), config.advertisedListen(), config.raftListen(), httpAddress(), dataDir.toAbsolutePath());
    return this;
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
    // A produce request may be up to request.bytes.max; Ratis must carry it in one entry.
    SizeInBytes entryMax = SizeInBytes.valueOf(config.getLong(NodeConfig.REQUEST_BYTES_MAX) + (1 << 20));
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(Math.max(entryMax.getSize(), 4L << 20)));
    GrpcConfigKeys.setMessageSizeMax(p, SizeInBytes.valueOf(Math.max(entryMax.getSize() * 2, 64L << 20)));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(Math.max(entryMax.getSize() + 1024, 8L << 20)));
    return p;
  }

  private static TimeDuration ms(long v) {
    return TimeDuration.valueOf(v, TimeUnit.MILLISECONDS);
  }

  /**
   * Refuses to start with peers other than those this data directory was created with: a node
   * must not silently join another membership (changes go through the admin API, later).
   */
  private void checkMembership(Path dataDir) throws IOException {
    Path file = dataDir.resolve("cluster.properties");
    String peers = canonicalPeers(config.peers());
    if (!Files.exists(file)) {
      Files.writeString(file, "# written on first start; membership is checked against it on every start\n"
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
    if (!peers.equals(stored.getProperty("peers"))) {
      problems.add("peers are " + peers + " but this cluster's members are " + stored.getProperty("peers"));
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("refusing to start with data directory " + dataDir + ": "
          + String.join("; ", problems));
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
      if (address.equals(stateMachine.core().nodes().get(config.nodeId())) || leaderId().isEmpty()) {
        return; // registered already, or no leader to take it yet
      }
      CompletableFuture<?> inFlight = registration.get();
      if (inFlight != null && !inFlight.isDone()) {
        return;
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
    } catch (RuntimeException e) {
      LOG.warn("registering client address failed: {}", e.toString());
    }
  }

  // -------------------------------------------------------------------------------------------
  // For the services

  String id() {
    return config.nodeId();
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

  Proposer proposer() {
    return proposer;
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

  /** Client address of every member, from the replicated directory (empty when not registered yet). */
  Map<String, String> clientAddresses() {
    Map<String, String> registered = core().nodes();
    Map<String, String> out = new LinkedHashMap<>();
    for (String id : config.peers().keySet()) {
      out.put(id, registered.getOrDefault(id, ""));
    }
    return out;
  }

  /** Null when this node may propose a write now, otherwise the error to return. */
  StatusRuntimeException writeRefusal() {
    if (!serving.get()) {
      return Errors.notWritten(ErrorReason.NODE_NOT_READY, "node " + id() + " is not serving yet");
    }
    String disk = diskGuard.refusal();
    if (disk != null) {
      return Errors.notWritten(ErrorReason.DISK_FULL, "node " + id() + ": " + disk);
    }
    if (!division().getInfo().isLeader()) {
      Optional<String> leader = leaderId();
      if (leader.isEmpty() || leader.get().equals(id())) {
        return Errors.notWritten(ErrorReason.NO_LEADER, "no leader is known to node " + id()
            + " (election in progress, or no majority reachable); retry");
      }
      Map<String, String> md = new LinkedHashMap<>();
      md.put(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN);
      md.put(SluiceErrors.LEADER_ID, leader.get());
      String address = clientAddresses().getOrDefault(leader.get(), "");
      if (!address.isEmpty()) {
        md.put(SluiceErrors.LEADER_ADDRESS, address);
      }
      return Errors.of(ErrorReason.NOT_LEADER, "node " + id() + " is not the leader; the leader is "
          + leader.get() + (address.isEmpty() ? "" : " at " + address), md);
    }
    return null;
  }

  /** Address of /metrics and /health/* (the bound port when configured as 0). */
  public HostPort httpAddress() {
    return monitoring.httpAddress();
  }

  /** Writes waiting for commit on this node now. */
  public int pendingWrites() {
    return proposer.pendingWrites();
  }

  /** The actual client address (the bound port when configured as 0). */
  public HostPort clientAddress() {
    return new HostPort(config.listen().host(), grpcServer.getPort());
  }

  @Override
  public void close() {
    monitoring.close();
    serving.set(false);
    scheduler.shutdownNow();
    if (grpcServer != null) {
      grpcServer.shutdown();
    }
    try {
      if (raftClient != null) {
        raftClient.close();
      }
    } catch (IOException e) {
      LOG.warn("closing Raft client: {}", e.toString());
    }
    try {
      if (raftServer != null) {
        raftServer.close();
      }
    } catch (IOException e) {
      LOG.warn("closing Raft server: {}", e.toString());
    }
    if (grpcServer != null) {
      try {
        if (!grpcServer.awaitTermination(5, TimeUnit.SECONDS)) {
          grpcServer.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        grpcServer.shutdownNow();
      }
    }
    LOG.info("node {} stopped", config.nodeId());
  }
}
