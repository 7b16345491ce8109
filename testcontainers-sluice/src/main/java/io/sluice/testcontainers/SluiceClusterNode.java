package io.sluice.testcontainers;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * One node of a {@link SluiceCluster}: a container with a fixed IP on the cluster's network and
 * its data directory on the host, so that {@link #kill()} then {@link #start()} restarts it from
 * its own disk. Methods that change the container are synchronized; reads are safe from any
 * thread.
 */
public final class SluiceClusterNode {
  /** Client gRPC, Raft and HTTP ports, on the node's own IP. */
  public static final int CLIENT_PORT = 7070;
  public static final int RAFT_PORT = 7170;
  public static final int HTTP_PORT = 7270;

  private final String id;
  private final String ip;
  private final Path dataDirectory;
  private final DockerImageName image;
  private final Network network;
  private final String peers;
  private final Map<String, String> nodeConfig;
  private final Map<String, String> env;
  private final List<String[]> binds;
  private final Duration startupTimeout;
  private GenericContainer<?> container;

  SluiceClusterNode(String id, String ip, Path dataDirectory, DockerImageName image, Network network, String peers,
      Map<String, String> nodeConfig, Map<String, String> env, List<String[]> binds, Duration startupTimeout) {
    this.id = id;
    this.ip = ip;
    this.dataDirectory = dataDirectory;
    this.image = image;
    this.network = network;
    this.peers = peers;
    this.nodeConfig = Map.copyOf(nodeConfig);
    this.env = Map.copyOf(env);
    this.binds = List.copyOf(binds);
    this.startupTimeout = startupTimeout;
  }

  /** Node id, {@code n1}…. */
  public String id() {
    return id;
  }

  /** The node's IP on the cluster network (reachable from the Docker host on Linux). */
  public String ip() {
    return ip;
  }

  /** Client address, {@code ip:7070}. */
  public String clientAddress() {
    return ip + ":" + CLIENT_PORT;
  }

  /** Raft address, {@code ip:7170}, as {@code sluice cluster add-node} wants it. */
  public String raftAddress() {
    return ip + ":" + RAFT_PORT;
  }

  /** Base URL of the HTTP endpoint, {@code http://ip:7270}. */
  public String httpUrl() {
    return "http://" + ip + ":" + HTTP_PORT;
  }

  /** The host directory mounted at /data. */
  public Path dataDirectory() {
    return dataDirectory;
  }

  /** The current container (replaced by {@link #recreate}); null before the first start. */
  public synchronized GenericContainer<?> container() {
    return container;
  }

  /** Docker container id, or null before the first start. */
  public synchronized String containerId() {
    return container == null ? null : container.getContainerId();
  }

  /** Creates and starts the container (first start), or starts the stopped container again. */
  public synchronized void start() {
    if (container == null) {
      create(false);
      container.start();
      return;
    }
    docker().startContainerCmd(container.getContainerId()).exec();
    waitUntilLive();
  }

  /**
   * Removes the container and makes a new one with the same id, IP and data directory; with
   * {@code join} the node starts with {@code --join} (outside the cluster, to be added with
   * add-node), which only matters when the data directory is empty.
   */
  public synchronized void recreate(boolean join) {
    remove();
    create(join);
    container.start();
  }

  /** SIGKILL: a crash. The container stays, with its data; {@link #start()} restarts it. */
  public synchronized void kill() {
    if (running()) {
      docker().killContainerCmd(container.getContainerId()).withSignal("SIGKILL").exec();
    }
  }

  /** SIGTERM and wait up to 60 s: a graceful stop. */
  public synchronized void stop() {
    if (running()) {
      docker().stopContainerCmd(container.getContainerId()).withTimeout(60).exec();
    }
  }

  /** SIGSTOP of every process in the container ({@code docker pause}). */
  public synchronized void pause() {
    docker().pauseContainerCmd(container.getContainerId()).exec();
  }

  /** SIGCONT ({@code docker unpause}). */
  public synchronized void unpause() {
    docker().unpauseContainerCmd(container.getContainerId()).exec();
  }

  /** True while the container runs (paused counts as running). */
  public synchronized boolean running() {
    InspectContainerResponse.ContainerState s = state();
    return s != null && Boolean.TRUE.equals(s.getRunning());
  }

  /** True while the container is paused. */
  public synchronized boolean paused() {
    InspectContainerResponse.ContainerState s = state();
    return s != null && Boolean.TRUE.equals(s.getPaused());
  }

  /** Host PID of the node's JVM (PID 1 in the container), for {@code nsenter -t PID -n}; -1 when not running. */
  public synchronized long hostPid() {
    InspectContainerResponse.ContainerState s = state();
    return s == null || !Boolean.TRUE.equals(s.getRunning()) ? -1 : s.getPidLong();
  }

  /** True when {@code /health/ready} answers 200. */
  public boolean ready() {
    return NodeHttp.status(httpUrl() + "/health/ready") == 200;
  }

  /** The container's log so far (stdout and stderr). */
  public synchronized String logs() {
    return container == null ? "" : container.getLogs();
  }

  /** Removes the container (unpausing it first); the data directory stays. */
  public synchronized void remove() {
    if (container == null) {
      return;
    }
    try {
      if (paused()) {
        unpause();
      }
    } catch (RuntimeException ignored) {
      // Removing goes on: docker rm -f copes with most states.
    }
    container.stop();
    container = null;
  }

  private InspectContainerResponse.ContainerState state() {
    if (container == null || container.getContainerId() == null) {
      return null;
    }
    try {
      return docker().inspectContainerCmd(container.getContainerId()).exec().getState();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void create(boolean join) {
    List<String> cmd = new ArrayList<>(List.of("server", "--id", id, "--data-dir", "/data",
        "--listen", clientAddress(), "--raft-listen", raftAddress(), "--http-listen", ip + ":" + HTTP_PORT));
    if (join) {
      cmd.add("--join");
    } else {
      cmd.addAll(List.of("--peers", peers));
    }
    nodeConfig.forEach((k, v) -> cmd.addAll(List.of("--set", k + "=" + v)));
    String user = SluiceCluster.ownerOf(dataDirectory);
    GenericContainer<?> c = new GenericContainer<>(image)
        .withNetwork(network)
        .withFileSystemBind(dataDirectory.toString(), "/data", BindMode.READ_WRITE)
        .withEnv(env)
        .withCommand(cmd.toArray(String[]::new))
        .withCreateContainerCmdModifier(create -> {
          create.withIpv4Address(ip).withHostName(id).withName("sluice-" + network.getId().substring(0, 8) + "-" + id);
          // Run as the data directory's owner, so that the host can delete what the node wrote.
          create.withUser(user);
        })
        .waitingFor(new LiveWait());
    for (String[] b : binds) {
      c.withFileSystemBind(b[0], b[1], BindMode.READ_WRITE);
    }
    container = c;
  }

  private void waitUntilLive() {
    long deadline = System.nanoTime() + startupTimeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (NodeHttp.status(httpUrl() + "/health/live") == 200) {
        return;
      }
      if (!running()) {
        throw new IllegalStateException("node " + id + " exited while starting; its log:\n" + tail(logs()));
      }
      sleepMs(200);
    }
    throw new IllegalStateException("node " + id + " did not answer /health/live within " + startupTimeout
        + "; its log:\n" + tail(logs()));
  }

  static String tail(String log) {
    return log.length() <= 4000 ? log : log.substring(log.length() - 4000);
  }

  static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /** Waits until the node's /health/live answers 200 over its own IP (readiness needs a quorum). */
  private final class LiveWait extends AbstractWaitStrategy {
    @Override
    protected void waitUntilReady() {
      waitUntilLive();
    }
  }
}
