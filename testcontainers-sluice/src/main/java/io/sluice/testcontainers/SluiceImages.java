package io.sluice.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import org.testcontainers.utility.DockerImageName;

/** The node image this module was built for. Stateless; thread-safe. */
public final class SluiceImages {
  private SluiceImages() {}

  /** The Sluice version this module belongs to, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    Properties p = new Properties();
    try (InputStream in = SluiceImages.class.getResourceAsStream("sluice-testcontainers.properties")) {
      if (in == null) {
        throw new IllegalStateException("sluice-testcontainers.properties is missing from the jar");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p.getProperty("version");
  }

  /**
   * {@code sluice:<version>}: the image {@code deploy/docker/build-image.sh} (no registry) or
   * {@code docker build -f deploy/docker/Dockerfile dist/target} makes. Override with the system
   * property {@code sluice.image} or the environment variable {@code SLUICE_IMAGE} (which
   * build-image.sh also reads, so that two checkouts on one Docker engine need not share a tag).
   */
  public static DockerImageName defaultImage() {
    String env = System.getenv("SLUICE_IMAGE");
    String fallback = env != null && !env.isBlank() ? env : "sluice:" + version();
    return DockerImageName.parse(System.getProperty("sluice.image", fallback));
  }
}
