package io.sluice.node.cli;

import io.sluice.node.NodeConfig;
import io.sluice.node.SluiceNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice server}: runs one node in the foreground until SIGTERM/SIGINT (or until the
 * process named by {@code -Dsluice.parent.pid} exits, so a local cluster never leaves orphans).
 * Flags override the properties file given with {@code --config}; every key is in NodeConfig.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    description = "Run one Sluice node. Flags override --config; keys are listed in the README.")
public final class ServerCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Properties file with configuration keys.")
  Path configFile;

  @Option(names = "--id", description = "This node's id (node.id).")
  String id;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (data.dir).")
  String dataDir;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Client API address (listen).")
  String listen;

  @Option(names = "--advertised-listen", paramLabel = "HOST:PORT",
      description = "Client address given to clients (advertised.listen).")
  String advertisedListen;

  @Option(names = "--raft-listen", paramLabel = "HOST:PORT", description = "Raft address (raft.listen).")
  String raftListen;

  @Option(names = "--peers", paramLabel = "ID=HOST:PORT,...", description = "All Raft members (peers).")
  String peers;

  @Option(names = "--cluster-id", description = "Cluster name (cluster.id).")
  String clusterId;

  @Option(names = "--http-listen", paramLabel = "HOST:PORT",
      description = "Address of /metrics, /health/live and /health/ready (http.listen).")
  String httpListen;

  @Option(names = "--join", description = "Start outside the cluster, without --peers, and wait for"
      + " `sluice cluster add-node ID=HOST:RAFTPORT` (join=true). Only matters for a new data directory.")
  boolean join;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "This node's certificate; with --tls-key turns"
      + " TLS on for clients and Raft (tls.cert.file).")
  String tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of --tls-cert (tls.key.file).")
  String tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM", description = "CA trusted for client certificates and,"
      + " unless tls.peer.ca.file is set, for the other nodes' (tls.client.ca.file).")
  String tlsClientCa;

  @Option(names = "--tls-client-auth", paramLabel = "none|optional|required",
      description = "Whether clients must present a certificate (tls.client.auth; default none).")
  String tlsClientAuth;

  @Option(names = {"-s", "--set"}, paramLabel = "KEY=VALUE", description = "Any other configuration key.")
  Map<String, String> settings = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    Map<String, String> overrides = new LinkedHashMap<>(settings);
    put(overrides, NodeConfig.NODE_ID, id);
    put(overrides, NodeConfig.DATA_DIR, dataDir);
    put(overrides, NodeConfig.LISTEN, listen);
    put(overrides, NodeConfig.ADVERTISED_LISTEN, advertisedListen);
    put(overrides, NodeConfig.RAFT_LISTEN, raftListen);
    put(overrides, NodeConfig.PEERS, peers);
    put(overrides, NodeConfig.CLUSTER_ID, clusterId);
    put(overrides, NodeConfig.HTTP_LISTEN, httpListen);
    put(overrides, NodeConfig.TLS_CERT_FILE, tlsCert);
    put(overrides, NodeConfig.TLS_KEY_FILE, tlsKey);
    put(overrides, NodeConfig.TLS_CLIENT_CA_FILE, tlsClientCa);
    put(overrides, NodeConfig.TLS_CLIENT_AUTH, tlsClientAuth);
    if (join) {
      overrides.put(NodeConfig.JOIN.name(), "true");
    }
    NodeConfig config;
    try {
      config = NodeConfig.load(configFile, overrides);
    } catch (IllegalArgumentException e) {
      System.err.println(CliErrors.PREFIX + "invalid configuration: " + e.getMessage());
      return 2;
    }
    System.setProperty("sluice.node.id", config.nodeId());
    try {
      ServerLogging.tagWithNodeId(config.nodeId());
    } catch (IllegalArgumentException e) {
      System.err.println(CliErrors.PREFIX + e.getMessage());
      return 2;
    }
    Logger log = LoggerFactory.getLogger(ServerCommand.class);
    log.info("starting with {}", config.values());
    log.info("common fork-join pool parallelism {} ({} cores)", java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(),
        Runtime.getRuntime().availableProcessors());
    SluiceNode node;
    try {
      node = new SluiceNode(config).start();
    } catch (IllegalStateException | java.io.IOException e) {
      System.err.println(CliErrors.PREFIX + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down");
      node.close();
      stopped.countDown();
    }, "sluice-shutdown"));
    watchParent(log);
    System.out.printf("sluice node %s ready: client %s, raft %s, http %s, pid %d%n", config.nodeId(),
        node.clientAddress(), config.raftListen(), node.httpAddress(), ProcessHandle.current().pid());
    System.out.flush();
    stopped.await();
    return 0;
  }

  private static void put(Map<String, String> overrides, NodeConfig.Key key, String value) {
    if (value != null) {
      overrides.put(key.name(), value);
    }
  }

  private static void watchParent(Logger log) {
    String parent = System.getProperty("sluice.parent.pid");
    if (parent == null) {
      return;
    }
    ProcessHandle.of(Long.parseLong(parent)).ifPresentOrElse(
        p -> p.onExit().thenRun(() -> {
          log.warn("parent process {} exited; stopping", parent);
          System.exit(0);
        }),
        () -> {
          log.warn("parent process {} is gone; stopping", parent);
          System.exit(0);
        });
  }
}
