package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerPort;
import io.kubernetes.client.openapi.models.V1EnvVar;
import io.kubernetes.client.openapi.models.V1HTTPGetAction;
import io.kubernetes.client.openapi.models.V1PersistentVolumeClaim;
import io.kubernetes.client.openapi.models.V1PodDisruptionBudget;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1StatefulSet;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import io.sluice.node.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart (deploy/k8s/helm/sluice) and the plain manifests made from it
 * (deploy/k8s/N-nodes/sluice.yaml).
 *
 * <p>The chart is rendered with Helm's own template engine (helm-java: Helm's Go code as a native
 * library, so no helm binary is needed) for 3 and 5 nodes, and must equal the checked-in plain
 * manifests, which are golden files: regenerate them with
 * {@code ./mvnw -pl dist test -Dtest=KubernetesManifestsTest -Dsluice.deploy.rewrite=true}
 * and review the diff. Each object is then read strictly into the Kubernetes API model (an
 * unknown or misspelled field fails) and its structure checked: the peers list, probes, ports,
 * volumes and the disruption budget must agree with each other and with the node's configuration.
 */
class KubernetesManifestsTest {
  private static final Path CHART = Path.of("..", "deploy", "k8s", "helm", "sluice");
  private static final String RELEASE = "sluice";
  private static final String HEADER = """
      # Generated from the Helm chart deploy/k8s/helm/sluice: helm template %s deploy/k8s/helm/sluice --set replicas=%d
      # Do not edit; change the chart and regenerate (see dist/src/test/java/io/sluice/dist/KubernetesManifestsTest.java).
      # Apply with: kubectl apply -n NAMESPACE -f deploy/k8s/%d-nodes/
      """;

  private static Path plainManifest(int replicas) {
    return Path.of("..", "deploy", "k8s", replicas + "-nodes", "sluice.yaml");
  }

  private static String render(int replicas) {
    return new Helm(CHART).template().withName(RELEASE).set("replicas", replicas).call();
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 5})
  void plainManifestsAreTheRenderedChart(int replicas) throws IOException {
    String expected = String.format(HEADER, RELEASE, replicas, replicas) + render(replicas);
    Path file = plainManifest(replicas);
    if (Boolean.getBoolean("sluice.deploy.rewrite")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, expected);
      return;
    }
    assertEquals(expected, Files.readString(file),
        file + " differs from the rendered chart; regenerate it (see this test's Javadoc)");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4, 7})
  void chartRefusesNodeCountsOtherThanThreeOrFive(int replicas) {
    Exception e = assertThrows(IllegalStateException.class, () -> render(replicas));
    assertTrue(e.getMessage().contains("replicas must be 3 or 5"), e.getMessage());
  }

  /** Extra node keys from the chart's `config` value reach the node intact, numbers included. */
  @Test
  void configValuesBecomeSetFlagsTheNodeAccepts() throws IOException {
    Path values = Files.createTempFile("sluice-values", ".yaml");
    try {
      Files.writeString(values, """
          replicas: 5
          config:
            disk.free.bytes.min: 104857600
            commit.timeout.ms: "5000"
            fetch.wait.max.ms: 250
          """);
      String rendered = new Helm(CHART).template().withName(RELEASE).withValuesFile(values).call();
      V1StatefulSet sts = null;
      for (Object doc : new Yaml().loadAll(rendered)) {
        if (doc instanceof Map<?, ?> map && "StatefulSet".equals(map.get("kind"))) {
          sts = V1StatefulSet.fromJson(new Gson().toJson(doc));
        }
      }
      assertNotNull(sts);
      List<String> args = sts.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
      assertTrue(args.containsAll(List.of("--set=commit.timeout.ms=5000", "--set=disk.free.bytes.min=104857600",
          "--set=fetch.wait.max.ms=250")), args.toString());
      NodeConfig config = ServerArgs.parse(expand(args, Set.of("POD_NAME", "POD_NAMESPACE"),
          Map.of("POD_NAME", RELEASE + "-4", "POD_NAMESPACE", "default"))).config();
      assertEquals(104857600L, config.getLong(NodeConfig.DISK_FREE_BYTES_MIN));
      assertEquals(5000L, config.getLong(NodeConfig.COMMIT_TIMEOUT_MS));
      assertEquals(250L, config.getLong(NodeConfig.FETCH_WAIT_MAX_MS));
    } finally {
      Files.delete(values);
    }
  }

  /** The strict reading below is what catches a misspelt field; make sure it does. */
  @Test
  void strictReadingRejectsAFieldTheApiDoesNotHave() throws IOException {
    String text = Files.readString(plainManifest(3));
    assertTrue(text.contains("publishNotReadyAddresses: true"));
    Path misspelt = Files.createTempFile("sluice-misspelt", ".yaml");
    try {
      Files.writeString(misspelt, text.replace("publishNotReadyAddresses: true", "publishNotReadyAddress: true"));
      Exception e = assertThrows(IllegalArgumentException.class, () -> Manifests.read(misspelt));
      assertTrue(e.getMessage().contains("publishNotReadyAddress"), e.getMessage());
    } finally {
      Files.delete(misspelt);
    }
  }

  @Test
  void chartPassesHelmLint() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 5})
  void manifestsAreConsistent(int replicas) throws IOException {
    Manifests m = Manifests.read(plainManifest(replicas));
    V1StatefulSet sts = m.statefulSet;
    assertEquals(RELEASE, sts.getMetadata().getName());
    assertEquals(replicas, sts.getSpec().getReplicas());
    assertEquals("Parallel", sts.getSpec().getPodManagementPolicy());
    Map<String, String> podLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
    assertEquals(sts.getSpec().getSelector().getMatchLabels(), podLabels);

    // Services: a headless one that publishes not-ready pods (their DNS names are the peers),
    // and one for clients; both select exactly the StatefulSet's pods.
    V1Service headless = m.service(sts.getSpec().getServiceName());
    assertEquals("None", headless.getSpec().getClusterIP());
    assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses());
    assertEquals(podLabels, headless.getSpec().getSelector());
    V1Service clients = m.service(RELEASE);
    assertEquals(podLabels, clients.getSpec().getSelector());

    V1PodSpec pod = sts.getSpec().getTemplate().getSpec();
    assertEquals(1, pod.getContainers().size());
    V1Container container = pod.getContainers().get(0);
    Map<String, Integer> containerPorts = container.getPorts().stream()
        .collect(Collectors.toMap(V1ContainerPort::getName, V1ContainerPort::getContainerPort));
    assertEquals(Set.of("client", "raft", "http"), containerPorts.keySet());
    for (V1Service service : List.of(headless, clients)) {
      for (V1ServicePort port : service.getSpec().getPorts()) {
        assertEquals(new IntOrString(port.getName()), port.getTargetPort(), "target of " + port);
        assertEquals(containerPorts.get(port.getName()), port.getPort(), "port " + port.getName());
      }
    }
    assertEquals(Set.of("client", "raft", "http"), portNames(headless));
    assertEquals(Set.of("client"), portNames(clients));

    // Probes: on the HTTP port the node serves (--http-listen).
    assertProbe(container.getReadinessProbe().getHttpGet(), "/health/ready");
    assertProbe(container.getLivenessProbe().getHttpGet(), "/health/live");
    assertProbe(container.getStartupProbe().getHttpGet(), "/health/live");
    assertEquals(String.valueOf(containerPorts.get("http")),
        sts.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));

    // Storage: one claim per pod, mounted where --data-dir points.
    assertEquals(1, sts.getSpec().getVolumeClaimTemplates().size());
    V1PersistentVolumeClaim claim = sts.getSpec().getVolumeClaimTemplates().get(0);
    assertEquals(List.of("ReadWriteOnce"), claim.getSpec().getAccessModes());
    assertNotNull(claim.getSpec().getResources().getRequests().get("storage"));
    V1VolumeMount data = container.getVolumeMounts().stream()
        .filter(v -> v.getName().equals(claim.getMetadata().getName())).findFirst().orElseThrow();
    assertEquals("Retain", sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenDeleted());
    assertEquals("Retain", sts.getSpec().getPersistentVolumeClaimRetentionPolicy().getWhenScaled());

    // The disruption budget keeps a majority: one node at a time.
    V1PodDisruptionBudget pdb = m.pdb;
    assertEquals(new IntOrString(1), pdb.getSpec().getMaxUnavailable());
    assertEquals(podLabels, pdb.getSpec().getSelector().getMatchLabels());

    // The image runs as uid 10001 (deploy/docker/Dockerfile); the volume must be writable by it.
    assertEquals(10001L, pod.getSecurityContext().getRunAsUser());
    assertEquals(10001L, pod.getSecurityContext().getFsGroup());
    assertTrue(Files.readString(DockerfileTest.DOCKERFILE).contains("\nUSER 10001:10001\n"));

    // The node's command line, as each pod gets it once Kubernetes has expanded $(VAR).
    Map<String, String> env = new LinkedHashMap<>();
    for (V1EnvVar var : container.getEnv()) {
      env.put(var.getName(), var.getValueFrom() == null ? var.getValue()
          : var.getValueFrom().getFieldRef().getFieldPath());
    }
    assertEquals("metadata.name", env.get("POD_NAME"));
    assertEquals("metadata.namespace", env.get("POD_NAMESPACE"));
    String namespace = "prod";
    for (int ordinal = 0; ordinal < replicas; ordinal++) {
      String podName = RELEASE + "-" + ordinal;
      List<String> args = expand(container.getArgs(), env.keySet(),
          Map.of("POD_NAME", podName, "POD_NAMESPACE", namespace));
      ServerArgs server = ServerArgs.parse(args);
      NodeConfig config = server.config();
      assertEquals(podName, config.nodeId());
      assertEquals(data.getMountPath(), server.get("--data-dir"));
      assertEquals(containerPorts.get("client"), config.listen().port());
      assertEquals(containerPorts.get("raft"), config.raftListen().port());
      assertEquals(containerPorts.get("http"), ServerArgs.port(server.get("--http-listen")));
      assertEquals("0.0.0.0", config.listen().host());
      assertTrue(server.get("--http-listen").startsWith("0.0.0.0:"), "probes come from outside the pod");

      // Exactly one peer per pod, each at its pod's DNS name under the headless Service.
      List<String> expectedPeers = new ArrayList<>();
      for (int i = 0; i < replicas; i++) {
        expectedPeers.add(RELEASE + "-" + i + "=" + RELEASE + "-" + i + "." + headless.getMetadata().getName()
            + "." + namespace + ".svc.cluster.local:" + containerPorts.get("raft"));
      }
      assertEquals(String.join(",", expectedPeers), server.get("--peers"));
      assertEquals(replicas, config.peers().size());
      String self = podName + "." + headless.getMetadata().getName() + "." + namespace + ".svc.cluster.local";
      assertEquals(self + ":" + containerPorts.get("client"), config.advertisedListen().toString());
    }
  }

  private static Set<String> portNames(V1Service service) {
    return service.getSpec().getPorts().stream().map(V1ServicePort::getName).collect(Collectors.toSet());
  }

  private static void assertProbe(V1HTTPGetAction get, String path) {
    assertEquals(path, get.getPath());
    assertEquals(new IntOrString("http"), get.getPort());
  }

  private static final Pattern VAR = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /** Kubernetes' $(VAR) expansion in args; every variable must be one of the container's. */
  private static List<String> expand(List<String> args, Set<String> defined, Map<String, String> values) {
    List<String> out = new ArrayList<>();
    for (String arg : args) {
      Matcher m = VAR.matcher(arg);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        assertTrue(defined.contains(m.group(1)), "args use $(" + m.group(1) + "), which the container does not define");
        m.appendReplacement(sb, Matcher.quoteReplacement(values.get(m.group(1))));
      }
      m.appendTail(sb);
      out.add(sb.toString());
    }
    return out;
  }

  /** The objects of one manifest file, each read strictly into its API model. */
  private static final class Manifests {
    final List<V1Service> services = new ArrayList<>();
    V1StatefulSet statefulSet;
    V1PodDisruptionBudget pdb;

    static Manifests read(Path file) throws IOException {
      Manifests m = new Manifests();
      Gson gson = new Gson();
      List<String> kinds = new ArrayList<>();
      for (Object doc : new Yaml().loadAll(Files.readString(file))) {
        if (doc == null) {
          continue;
        }
        String json = gson.toJson(doc);
        String kind = (String) ((Map<?, ?>) doc).get("kind");
        kinds.add(kind);
        // fromJson rejects fields the API does not define, so a misspelt key fails here.
        switch (kind) {
          case "Service" -> m.services.add(V1Service.fromJson(json));
          case "StatefulSet" -> m.statefulSet = V1StatefulSet.fromJson(json);
          case "PodDisruptionBudget" -> m.pdb = V1PodDisruptionBudget.fromJson(json);
          default -> throw new AssertionError("unexpected kind " + kind + " in " + file);
        }
      }
      kinds.sort(null);
      assertEquals(List.of("PodDisruptionBudget", "Service", "Service", "StatefulSet"), kinds, "objects in " + file);
      return m;
    }

    V1Service service(String name) {
      return services.stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
          .orElseThrow(() -> new AssertionError("no Service named " + name));
    }
  }
}
