package io.sluice.chaos;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.testcontainers.DockerClientFactory;

/**
 * The chaos suite: each scenario of {@link Scenario#CI} with its fixed seed, or the one named by
 * {@code -Dsluice.chaos.scenario=NAME[,NAME…]} (with {@code -Dsluice.chaos.seed=N} and
 * {@code -Dsluice.chaos.fault.seconds=S} for a soak of any length). Needs Docker; without it the
 * suite fails and says how to get it ({@code -Dsluice.chaos.skip=true} skips it on purpose).
 */
class ChaosIT {
  @BeforeAll
  static void dockerIsThere() {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      fail("the chaos suite needs a Docker engine and none answers. On Debian/Ubuntu run scripts/ensure-docker.sh"
          + " as root (what .ci/run does); elsewhere install Docker. To build without the chaos suite:"
          + " ./mvnw -B verify -Dsluice.chaos.skip=true");
    }
  }

  @TestFactory
  Stream<DynamicTest> scenarios() {
    String name = System.getProperty("sluice.chaos.scenario", "ci");
    List<Scenario> chosen = new ArrayList<>();
    if (name.isBlank() || name.equals("ci")) {
      chosen.addAll(Scenario.CI);
    } else {
      for (String one : name.split(",")) {
        Scenario s = Scenario.byName().get(one.trim());
        if (s == null) {
          fail("no chaos scenario '" + one + "'; the scenarios are " + Scenario.byName().keySet());
        }
        chosen.add(s);
      }
    }
    String seedProp = System.getProperty("sluice.chaos.seed", "");
    String secondsProp = System.getProperty("sluice.chaos.fault.seconds", "");
    Path out = Path.of(System.getProperty("sluice.chaos.out", "target/chaos"));
    return chosen.stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> {
      long seed = seedProp.isBlank() ? s.defaultSeed() : Long.parseLong(seedProp.trim());
      int seconds = secondsProp.isBlank() ? s.faultSeconds() : Integer.parseInt(secondsProp.trim());
      String reproduce = "./mvnw -pl chaos-tests verify -Dsluice.chaos.scenario=" + s.name()
          + " -Dsluice.chaos.seed=" + seed + (secondsProp.isBlank() ? "" : " -Dsluice.chaos.fault.seconds=" + seconds);
      System.out.println("chaos: scenario " + s.name() + " seed " + seed + "; reproduce with: " + reproduce);
      ChaosRunner.Result r;
      try {
        r = ChaosRunner.run(s, seed, seconds, out, reproduce);
      } catch (Throwable t) {
        throw new AssertionError("chaos scenario " + s.name() + " seed " + seed + " could not run: " + t
            + "\nreproduce with: " + reproduce, t);
      }
      assertTrue(r.verdict().valid(), () -> "chaos scenario " + s.name() + " seed " + seed + " is not valid: "
          + r.verdict().toJson() + "\nhistory, verdict, report.html and node logs: " + r.dir()
          + "\nreproduce with: " + reproduce);
    }));
  }
}
