package io.sluice.testcontainers;

import com.github.dockerjava.api.command.InspectContainerResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * One Sluice node in a container, for application tests (like Testcontainers' KafkaContainer):
 *
 * <pre>{@code
 * try (SluiceContainer sluice = new SluiceContainer()) {
 *   sluice.start();
 *   SluiceClient client = SluiceClient.builder().bootstrap(sluice.getBootstrap()).build();
 *   ...
 * }
 * }</pre>
 *
 * <p>The node is a one-voter Raft group ({@code n1}); its client port 7070 and HTTP port 7270 are
 * published on random host ports. The node advertises the published client address
 * ({@link #getBootstrap()}), so clients outside Docker reach it on any Docker host. {@link #start()}
 * returns once {@code /health/ready} answers 200 (default timeout 2 minutes). Data lives in the
 * container and goes away with it.
 *
 * <p>Any node configuration key can be set with {@link #withNodeConfig(String, String)}, e.g.
 * {@code withNodeConfig("commit.timeout.ms", "5000")}. Not thread-safe during configuration, like
 * every GenericContainer.
 */
public class SluiceContainer extends GenericContainer<SluiceContainer> {
  /** Client gRPC port inside the container. */
  public static final int CLIENT_PORT = 7070;
  /** HTTP port (/metrics, /health/live, /health/ready) inside the container. */
  public static final int HTTP_PORT = 7270;
  /** Default time {@link #start()} waits for the node to be ready. */
  public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofMinutes(2);

  private static final String ADVERTISED_FILE = "/tmp/sluice-advertised-listen";
  private final Map<String, String> nodeConfig = new LinkedHashMap<>();

  /** A node from {@link SluiceImages#defaultImage()}. */
  public SluiceContainer() {
    this(SluiceImages.defaultImage());
  }

  /** A node from {@code image} (any image built from deploy/docker/Dockerfile). */
  public SluiceContainer(DockerImageName image) {
    super(image);
    withExposedPorts(CLIENT_PORT, HTTP_PORT);
    waitingFor(Wait.forHttp("/health/ready").forPort(HTTP_PORT).forStatusCode(200)
        .withStartupTimeout(DEFAULT_STARTUP_TIMEOUT));
    // The advertised address (host:mapped port) is known only once the container runs, so the
    // node starts when containerIsStarting has written it into the container.
    withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("/bin/sh"));
  }

  /** Sets a node configuration key (README "Configuration"); passed as {@code --set key=value}. */
  public SluiceContainer withNodeConfig(String key, String value) {
    nodeConfig.put(key, value);
    return this;
  }

  @Override
  protected void configure() {
    List<String> server = new ArrayList<>(List.of("exec /opt/sluice/bin/sluice server --id n1 --data-dir /data",
        "--listen 0.0.0.0:" + CLIENT_PORT, "--raft-listen 127.0.0.1:7170", "--http-listen 0.0.0.0:" + HTTP_PORT,
        "--peers n1=127.0.0.1:7170", "--advertised-listen \"$(cat " + ADVERTISED_FILE + ")\""));
    nodeConfig.forEach((k, v) -> server.add("--set '" + k + "=" + v.replace("'", "'\\''") + "'"));
    String script = "i=0; while [ ! -s " + ADVERTISED_FILE + " ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; "
        + String.join(" ", server);
    setCommand("-c", script);
  }

  @Override
  protected void containerIsStarting(InspectContainerResponse containerInfo) {
    copyFileToContainer(Transferable.of(getBootstrap()), ADVERTISED_FILE);
  }

  /** The client address for {@code SluiceClient.builder().bootstrap(…)}: host:mapped port. */
  public String getBootstrap() {
    return getHost() + ":" + getMappedPort(CLIENT_PORT);
  }

  /** Base URL of the node's HTTP endpoint, e.g. {@code http://localhost:32768}. */
  public String getHttpUrl() {
    return "http://" + getHost() + ":" + getMappedPort(HTTP_PORT);
  }
}
