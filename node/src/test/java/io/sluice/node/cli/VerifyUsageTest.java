package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice verify}'s refusals: one error line, exit 2 for bad options, 1 for no cluster. */
class VerifyUsageTest {

  @TempDir Path tmp;

  private static void assertUsage(String fragment, String... args) {
    CliRun run = CliRun.run(args);
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().startsWith("sluice: error: ") && run.err().contains(fragment), run.toString());
  }

  @Test
  void badOptionsAreUsageErrors() {
    assertUsage("'abc' is not a duration", "verify", "--duration", "abc");
    assertUsage("'0s' is not a positive duration", "verify", "--duration", "0s");
    assertUsage("partitions must be in [1, 1000], was 0", "verify", "--partitions", "0");
    assertUsage("producers must be in [0, 64], was 65", "verify", "--producers", "65");
    assertUsage("--topic: ", "verify", "--topic", "no spaces allowed");
    assertUsage("'7s7' is not a duration", "check-history", "x.jsonl", "--recovery-time-max", "7s7");
  }

  @Test
  void aNegativeSeedIsRepeatedAsGivenInTheReproduceLine() {
    CliRun run = CliRun.run("verify", "--bootstrap", "127.0.0.1:1", "--duration", "1s", "--settle-timeout", "1s",
        "--seed", "-5", "--out", tmp.resolve("neg").toString());
    assertTrue(run.err().contains(" --seed -5 "), run.toString());
    assertTrue(run.err().contains("topic=verify--5-"), run.toString());
  }

  @Test
  void anUnreachableClusterIsOneErrorLineAndExitOne() {
    CliRun run = CliRun.run("verify", "--bootstrap", "127.0.0.1:1", "--duration", "1s", "--settle-timeout", "3s",
        "--seed", "3", "--out", tmp.resolve("out").toString());
    assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
    String last = run.errLines().get(run.errLines().size() - 1);
    assertTrue(last.startsWith("sluice: error: cannot create topic verify-3-"), run.toString());
    assertTrue(run.err().contains("reproduce with: sluice verify --bootstrap 127.0.0.1:1"), run.toString());
  }
}
