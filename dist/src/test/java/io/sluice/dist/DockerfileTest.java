package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** deploy/docker/Dockerfile unpacks the archive this build makes and runs its launcher. */
class DockerfileTest {
  static final Path DOCKERFILE = Path.of("..", "deploy", "docker", "Dockerfile");

  @Test
  void unpacksThisVersionsArchiveAndRunsItsLauncher() throws IOException {
    List<String> lines = Files.readAllLines(DOCKERFILE);
    String version = System.getProperty("sluice.version");
    assertTrue(version != null && !version.isEmpty(), "the build passes sluice.version");
    assertTrue(lines.contains("ARG SLUICE_VERSION=" + version),
        "the Dockerfile's default SLUICE_VERSION must be the project version " + version);
    assertTrue(lines.contains("ARG BASE_IMAGE=eclipse-temurin:17-jre"));
    assertTrue(lines.contains("ADD sluice-${SLUICE_VERSION}.tar.gz /opt/"),
        "the archive is named as dist/pom.xml names it (build context: dist/target)");
    assertTrue(lines.contains("RUN ln -s /opt/sluice-${SLUICE_VERSION} /opt/sluice \\"),
        "the archive's top directory is sluice-VERSION");
    assertTrue(lines.contains("ENTRYPOINT [\"/opt/sluice/bin/sluice\"]"));
    assertTrue(lines.contains("VOLUME [\"/data\"]"));
    assertEquals(1, lines.stream().filter(l -> l.startsWith("FROM ")).count(), "one stage");
  }
}
