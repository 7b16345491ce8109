package io.sluice.testcontainers;

import com.github.dockerjava.api.model.Network.Ipam;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.lifecycle.Startable;
import org.testcontainers.utility.DockerImageName;

/**
 * A Sluice cluster of 3 or 5 nodes ({@code n1}…), each a container on its own user-defined
 * Docker network with a fixed IP, its data in a host directory:
 *
 * <pre>{@code
 * try (SluiceCluster cluster = SluiceCluster.builder().nodes(3).build()) {
 *   cluster.start();
 *   SluiceClient client = SluiceClient.builder().bootstrap(cluster.bootstrap()).build();
 *   cluster.node("n2").kill();   // crash: SIGKILL
 *   cluster.node("n2").start();  // restarts from its data directory
 * }
 * }</pre>
 *
 * <p>Nodes address each other by IP (no name lookups) and advertise their IPs to clients, so
 * clients must reach the containers' IPs: true for a test JVM on the Linux Docker host (the
 * network's bridge is a host interface), not through Docker Desktop's VM; use
 * {@link SluiceContainer} there. The network's bridge gets a fixed name ({@link #bridgeName()}) so
 * that host firewall rules can name it.
 *
 * <p>{@link #start()} returns when every node answers {@code /health/ready} (default timeout 2
 * minutes). {@link #close()} removes the containers and the network, and deletes the data
 * directory unless it was given by the caller. Not thread-safe during configuration; node
 * operations ({@link SluiceClusterNode}) may be called from any thread.
 */
public final class SluiceCluster implements Startable {
  /** Where the certificates are mounted in each node's container (TLS on). */
  static final String CERTS_MOUNT = "/certs";
  /** Node certificates made beyond the initial nodes, for nodes added later. */
  static final int SPARE_NODE_CERTS = 4;
  private final Builder config;
  private final Map<String, SluiceClusterNode> nodes = new LinkedHashMap<>();
  private final Path dataRoot;
  private final boolean ownDataRoot;
  private final String bridgeName;
  private final Path tlsDir;
  private Network network;
  private String subnetPrefix;
  private int nextHost;

  private SluiceCluster(Builder b) {
    this.config = b;
    try {
      this.ownDataRoot = b.dataRoot == null;
      this.dataRoot = ownDataRoot ? Files.createTempDirectory("sluice-cluster-") : Files.createDirectories(b.dataRoot);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      this.tlsDir = b.tls ? Files.createDirectories(dataRoot.resolve("tls")) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.bridgeName = "slc" + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 9);
  }

  /** A builder: 3 nodes from {@link SluiceImages#defaultImage()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Creates the network and starts every node; returns when all are ready. */
  @Override
  public synchronized void start() {
    if (network != null) {
      return;
    }
    // Fixed IPs need a subnet configured by the user: ask Docker for a free one (from its address
    // pools) with a throwaway network, then make the real one with that subnet.
    String subnet;
    try (Network probe = Network.newNetwork()) {
      subnet = DockerClientFactory.instance().client().inspectNetworkCmd().withNetworkId(probe.getId())
          .exec().getIpam().getConfig().get(0).getSubnet();
    }
    if (!subnet.endsWith("/24") && !subnet.endsWith("/16")) {
      throw new IllegalStateException("the Docker network got subnet " + subnet + "; expected a /24 or /16");
    }
    String chosen = subnet;
    network = Network.builder()
        .createNetworkCmdModifier(cmd -> cmd.withOptions(Map.of("com.docker.network.bridge.name", bridgeName))
            .withIpam(new Ipam().withConfig(new Ipam.Config().withSubnet(chosen))))
        .build();
    network.getId();
    String base = subnet.substring(0, subnet.indexOf('/'));
    subnetPrefix = base.substring(0, base.lastIndexOf('.') + 1);
    nextHost = 11;
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= config.nodes; i++) {
      ids.add("n" + i);
    }
    Map<String, String> ips = new LinkedHashMap<>();
    for (String id : ids) {
      ips.put(id, subnetPrefix + nextHost++);
    }
    if (config.tls) {
      makeCertificates(ids.size());
    }
    String peers = ips.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue() + ":" + SluiceClusterNode.RAFT_PORT)
        .collect(Collectors.joining(","));
    for (String id : ids) {
      nodes.put(id, newNode(id, ips.get(id), peers));
    }
    // Parallel: a node is live on its own, but the cluster is ready only with a majority up.
    CompletableFuture.allOf(nodes.values().stream().map(n -> CompletableFuture.runAsync(n::start))
        .toArray(CompletableFuture[]::new)).join();
    awaitReady(config.startupTimeout);
  }

  /**
   * A further node, {@code nN}, with the next IP, started with {@code --join}: it waits outside
   * the cluster until it is added ({@code Admin.addNode(node.id(), node.raftAddress())}).
   */
  public synchronized SluiceClusterNode addJoiningNode() {
    String id = "n" + (nodes.size() + 1);
    SluiceClusterNode node = newNode(id, subnetPrefix + nextHost++, "");
    nodes.put(id, node);
    node.recreate(true);
    return node;
  }

  private SluiceClusterNode newNode(String id, String ip, String peers) {
    Path dir = dataRoot.resolve(id);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> env = new HashMap<>(config.env);
    env.putAll(config.nodeEnv.getOrDefault(id, Map.of()));
    List<String[]> binds = new ArrayList<>(config.binds.getOrDefault(id, List.of()));
    Map<String, String> nodeConfig = new LinkedHashMap<>(config.nodeConfig);
    if (config.tls) {
      binds.add(new String[] {tlsDir.toString(), CERTS_MOUNT});
      nodeConfig.put("tls.cert.file", CERTS_MOUNT + "/" + id + ".crt");
      nodeConfig.put("tls.key.file", CERTS_MOUNT + "/" + id + ".key");
      nodeConfig.put("tls.client.ca.file", CERTS_MOUNT + "/ca.crt");
      nodeConfig.put("tls.client.auth", config.tlsClientAuth);
    }
    return new SluiceClusterNode(id, ip, dir, config.image, network, peers, nodeConfig, env, binds,
        config.startupTimeout);
  }

  /**
   * Writes the cluster's certificates into {@link #tlsDir()} with the image's own {@code sluice
   * certs dev} (a one-shot container, so this module needs no certificate code): a CA, one
   * certificate per node for the first {@code count} + {@link #SPARE_NODE_CERTS} node ids (nodes
   * added later need one too) naming every IP of the subnet's node range, and a client certificate.
   */
  private void makeCertificates(int count) {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= count + SPARE_NODE_CERTS; i++) {
      names.add("n" + i);
    }
    List<String> hosts = new ArrayList<>();
    for (int h = 11; h < 11 + count + SPARE_NODE_CERTS; h++) {
      hosts.add(subnetPrefix + h);
    }
    try (GenericContainer<?> certs = new GenericContainer<>(config.image)
        .withFileSystemBind(tlsDir.toString(), CERTS_MOUNT, BindMode.READ_WRITE)
        .withCommand("certs", "dev", "--out", CERTS_MOUNT, "--nodes", String.join(",", names),
            "--hosts", String.join(",", hosts), "--days", "30", "--client", config.tlsClient)
        .withCreateContainerCmdModifier(create -> create.withUser(ownerOf(tlsDir)))
        .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(2)))) {
      certs.start();
    }
    if (!Files.exists(tlsDir.resolve("ca.crt")) || !Files.exists(tlsDir.resolve("client.key"))) {
      throw new IllegalStateException("`sluice certs dev` in " + config.image + " wrote no certificates to " + tlsDir);
    }
  }

  /** Whether the nodes use TLS ({@link Builder#tls(boolean)}). */
  public boolean tls() {
    return config.tls;
  }

  /**
   * Directory of the cluster's certificates when {@link #tls()}: {@code ca.crt} (trust it in
   * clients), {@code client.crt} and {@code client.key} (a client certificate, CN from {@link
   * Builder#tlsClient(String)}), and each node's {@code nI.crt}/{@code nI.key}.
   */
  public Path tlsDir() {
    return tlsDir;
  }

  /** Waits until every running node answers /health/ready with 200. */
  public void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<String> notReady = nodes().stream().filter(n -> n.running() && !n.ready()).map(SluiceClusterNode::id).toList();
      if (notReady.isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        StringBuilder logs = new StringBuilder();
        for (String id : notReady) {
          logs.append("--- ").append(id).append(" ---\n").append(SluiceClusterNode.tail(node(id).logs()));
        }
        throw new IllegalStateException("nodes " + notReady + " not ready within " + timeout + "\n" + logs);
      }
      SluiceClusterNode.sleepMs(250);
    }
  }

  /** {@code ip:7070,…} of every node, for {@code SluiceClient.builder().bootstrap(…)}. */
  public String bootstrap() {
    return nodes().stream().map(SluiceClusterNode::clientAddress).collect(Collectors.joining(","));
  }

  /** Every node, in id order (n1 first), including nodes added later. */
  public synchronized List<SluiceClusterNode> nodes() {
    return List.copyOf(nodes.values());
  }

  /** The node with this id. @throws IllegalArgumentException when there is none */
  public synchronized SluiceClusterNode node(String id) {
    SluiceClusterNode n = nodes.get(id);
    if (n == null) {
      throw new IllegalArgumentException("no node " + id + "; nodes are " + nodes.keySet());
    }
    return n;
  }

  /** The leader that most running, unpaused nodes name in /health/ready, if any names one. */
  public Optional<SluiceClusterNode> leader() {
    Map<String, Long> votes = nodes().stream().filter(n -> n.running() && !n.paused())
        .map(n -> NodeHttp.leader(n.httpUrl())).flatMap(Optional::stream)
        .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
    return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> nodes.get(e.getKey()));
  }

  /** Name of the network's Linux bridge (for host firewall rules), e.g. {@code slc1a2b3c4d5}. */
  public String bridgeName() {
    return bridgeName;
  }

  /** The Docker network the nodes are on (add your own containers to it). */
  public Network network() {
    return network;
  }

  /** Root of the nodes' data directories ({@code <root>/n1}, …). */
  public Path dataRoot() {
    return dataRoot;
  }

  /** Removes every container and the network; deletes the data unless the caller gave its directory. */
  @Override
  public synchronized void stop() {
    RuntimeException first = null;
    for (SluiceClusterNode n : nodes.values()) {
      try {
        n.remove();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (network != null) {
      try {
        network.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
      network = null;
    }
    if (ownDataRoot) {
      deleteTree(dataRoot);
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public void close() {
    stop();
  }

  static String ownerOf(Path dir) {
    try {
      return Files.getAttribute(dir, "unix:uid") + ":" + Files.getAttribute(dir, "unix:gid");
    } catch (IOException | UnsupportedOperationException e) {
      return "10001:10001";
    }
  }

  /** Deletes a directory tree; best effort (files the caller cannot delete stay). */
  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      System.err.println("sluice-testcontainers: could not delete " + root + ": " + e);
    }
  }

  /** Settings of a {@link SluiceCluster}. Not thread-safe. */
  public static final class Builder {
    private int nodes = 3;
    private DockerImageName image = SluiceImages.defaultImage();
    private Path dataRoot;
    private Duration startupTimeout = Duration.ofMinutes(2);
    private final Map<String, String> nodeConfig = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> nodeEnv = new HashMap<>();
    private final Map<String, List<String[]>> binds = new HashMap<>();
    private boolean tls;
    private String tlsClientAuth = "required";
    private String tlsClient = "admin";

    private Builder() {}

    /**
     * Runs the nodes with TLS on the client port and mutual TLS between them, with certificates
     * the image's {@code sluice certs dev} makes at start (see {@link SluiceCluster#tlsDir()}).
     * Clients must then use TLS (and, by default, the client certificate). Default: off.
     */
    public Builder tls(boolean enabled) {
      this.tls = enabled;
      return this;
    }

    /** {@code tls.client.auth} of the nodes with TLS on: none, optional or required (default required). */
    public Builder tlsClientAuth(String clientAuth) {
      if (!List.of("none", "optional", "required").contains(clientAuth)) {
        throw new IllegalArgumentException("tls.client.auth is none, optional or required, not " + clientAuth);
      }
      this.tlsClientAuth = clientAuth;
      return this;
    }

    /** CN (principal) of the client certificate made with TLS on (default admin). */
    public Builder tlsClient(String name) {
      this.tlsClient = name;
      return this;
    }

    /** Number of voters: 3 or 5 (default 3). */
    public Builder nodes(int count) {
      if (count != 3 && count != 5) {
        throw new IllegalArgumentException("a cluster has 3 or 5 nodes, not " + count);
      }
      this.nodes = count;
      return this;
    }

    /** The node image (default {@link SluiceImages#defaultImage()}). */
    public Builder image(DockerImageName image) {
      this.image = image;
      return this;
    }

    /** Keep the nodes' data under this host directory (not deleted by close); default: a temporary one. */
    public Builder dataRoot(Path dir) {
      this.dataRoot = dir;
      return this;
    }

    /** How long start() and a node's restart wait (default 2 minutes). */
    public Builder startupTimeout(Duration timeout) {
      this.startupTimeout = timeout;
      return this;
    }

    /** A node configuration key for every node ({@code --set key=value}). */
    public Builder nodeConfig(String key, String value) {
      nodeConfig.put(key, value);
      return this;
    }

    /** An environment variable for every node's container (e.g. SLUICE_JAVA_OPTS). */
    public Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** An environment variable for one node's container. */
    public Builder env(String nodeId, String name, String value) {
      nodeEnv.computeIfAbsent(nodeId, k -> new LinkedHashMap<>()).put(name, value);
      return this;
    }

    /** Bind-mounts a host path into one node's container (read-write). */
    public Builder bind(String nodeId, String hostPath, String containerPath) {
      binds.computeIfAbsent(nodeId, k -> new ArrayList<>()).add(new String[] {hostPath, containerPath});
      return this;
    }

    /** The cluster, not started yet. */
    public SluiceCluster build() {
      return new SluiceCluster(this);
    }
  }
}
