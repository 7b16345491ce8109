package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/compose/docker-compose-N.yml: N nodes that name each other by service name, each with
 * its own volume and a published HTTP port, and command lines the node accepts. (No compose
 * binary runs here; the YAML, merge keys included, is read with SnakeYAML.)
 */
class ComposeFilesTest {
  private static final Path COMPOSE_DIR = Path.of("..", "deploy", "compose");

  @ParameterizedTest
  @ValueSource(ints = {3, 5})
  @SuppressWarnings("unchecked")
  void composeFileRunsAConsistentCluster(int nodes) throws IOException {
    Path file = COMPOSE_DIR.resolve("docker-compose-" + nodes + ".yml");
    Map<String, Object> compose = new Yaml().load(Files.readString(file));
    // The project name keeps the 3- and 5-node volumes apart.
    assertEquals("sluice-" + nodes, compose.get("name"));
    Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      names.add("n" + i);
    }
    assertEquals(names, List.copyOf(services.keySet()));

    String expectedPeers = String.join(",", names.stream().map(n -> n + "=" + n + ":7170").toList());
    Set<String> volumes = new HashSet<>();
    Set<String> hostPorts = new HashSet<>();
    for (String name : names) {
      Map<String, Object> service = services.get(name);
      assertEquals("sluice:latest", service.get("image"));
      Map<String, String> build = (Map<String, String>) service.get("build");
      Path context = COMPOSE_DIR.resolve(build.get("context")).normalize();
      assertEquals(Path.of("..", "dist", "target"), context, "the build context is where the archive is made");
      assertEquals(DockerfileTest.DOCKERFILE.normalize(), context.resolve(build.get("dockerfile")).normalize());
      assertEquals(name, service.get("hostname"));

      ServerArgs server = ServerArgs.parse((List<String>) service.get("command"));
      NodeConfig config = server.config();
      assertEquals(name, config.nodeId());
      assertEquals(expectedPeers, server.get("--peers"));
      assertEquals(name + ":7170", config.raftListen().toString());
      assertEquals("0.0.0.0:7070", config.listen().toString());
      assertEquals(name + ":7070", config.advertisedListen().toString());
      assertEquals("0.0.0.0:7270", server.get("--http-listen"));
      assertEquals("/data", server.get("--data-dir"));

      List<String> mounts = (List<String>) service.get("volumes");
      assertEquals(List.of(name + "-data:/data"), mounts);
      volumes.add(name + "-data");

      List<String> ports = (List<String>) service.get("ports");
      assertEquals(1, ports.size(), "only the HTTP port is published");
      String[] published = ports.get(0).split(":");
      assertEquals("127.0.0.1", published[0], "published on loopback only");
      assertEquals("7270", published[2], "the container's --http-listen port");
      hostPorts.add(published[1]);

      Map<String, Object> health = (Map<String, Object>) service.get("healthcheck");
      String probe = String.join(" ", (List<String>) health.get("test"));
      assertTrue(probe.contains("/dev/tcp/127.0.0.1/7270") && probe.contains("GET /health/ready"), probe);
      assertTrue(String.valueOf(service.get("stop_grace_period")).endsWith("s"));
      assertEquals(String.join(",", names.stream().map(n -> n + ":7070").toList()),
          ((Map<String, String>) service.get("environment")).get("SLUICE_BOOTSTRAP"));
    }
    assertEquals(nodes, hostPorts.size(), "each node publishes its own host port");
    assertEquals(volumes, ((Map<String, Object>) compose.get("volumes")).keySet());
  }
}
