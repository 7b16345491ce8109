package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Bad command lines exit 2 with exactly one {@code sluice: error:} line and no stack trace. */
class UsageErrorTest {

  private static void assertUsageError(CliRun run, String expectedFragment) {
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    String line = run.errLines().get(0);
    assertTrue(line.startsWith("sluice: error: "), run.toString());
    assertTrue(line.contains(expectedFragment), "expected '" + expectedFragment + "' in " + run);
    assertEquals("", run.out(), run.toString());
  }

  @Test
  void bootstrapWithoutPortIsAUsageError() {
    assertUsageError(
        CliRun.run("topic", "list", "--bootstrap", "localhost"), "'localhost' is not host:port");
  }

  @Test
  void bootstrapWithPortOutOfRangeIsAUsageError() {
    assertUsageError(
        CliRun.run("topic", "list", "--bootstrap", "127.0.0.1:7070,127.0.0.1:99999"),
        "outside 1-65535");
  }

  @Test
  void bootstrapWithEmptyEntryIsAUsageError() {
    assertUsageError(
        CliRun.run("cluster", "status", "--bootstrap", "127.0.0.1:7070,"), "empty address");
  }

  @Test
  void noCommandIsAUsageError() {
    assertUsageError(CliRun.run(), "missing command");
  }

  @Test
  void topicWithoutSubcommandIsAUsageError() {
    assertUsageError(CliRun.run("topic"), "missing subcommand");
  }

  @Test
  void unknownOptionIsAUsageError() {
    assertUsageError(CliRun.run("topic", "list", "--no-such-option"), "--no-such-option");
  }

  @Test
  void zeroPartitionsIsAUsageError() {
    assertUsageError(
        CliRun.run("topic", "create", "t", "--partitions", "0"), "--partitions must be positive");
  }

  @Test
  void unknownFormatPlaceholderIsAUsageError() {
    assertUsageError(
        CliRun.run("consume", "--topic", "t", "--format", "%v %x"), "unknown placeholder %x");
  }

  @Test
  void fromBeginningAndOffsetTogetherIsAUsageError() {
    assertUsageError(
        CliRun.run("consume", "--topic", "t", "--from-beginning", "--offset", "3"),
        "mutually exclusive");
  }

  @Test
  void emptyKeySeparatorIsAUsageError() {
    assertUsageError(
        CliRun.run("produce", "--topic", "t", "--key-separator", ""),
        "--key-separator must not be empty");
  }

  @Test
  void unknownCompressionIsAUsageError() {
    assertUsageError(
        CliRun.run("produce", "--topic", "t", "--compression", "gzip"), "use none, lz4 or zstd");
  }

  @Test
  void tooManyInFlightBatchesIsAUsageError() {
    assertUsageError(
        CliRun.run("produce", "--topic", "t", "--max-in-flight-batches", "6"),
        "--max-in-flight-batches must be in [1, 5]");
  }

  @Test
  void produceWithoutTopicIsAUsageError() {
    assertUsageError(CliRun.run("produce"), "--topic");
  }

  @Test
  void evenNodeCountIsAUsageError() {
    assertUsageError(CliRun.run("local-cluster", "--nodes", "2"), "--nodes must be 1, 3 or 5");
  }

  @Test
  void overlappingPortRangesAreAUsageError() {
    assertUsageError(
        CliRun.run("local-cluster", "--base-port", "7070", "--raft-base-port", "7071"), "overlap");
  }

  @Test
  void helpExitsZeroAndListsTheCommands() {
    CliRun run = CliRun.run("--help");
    assertEquals(SluiceCli.EXIT_OK, run.exitCode(), run.toString());
    for (String command :
        new String[] {"server", "local-cluster", "topic", "produce", "consume", "cluster", "group"}) {
      assertTrue(run.out().contains(command), command + " missing from " + run);
    }
  }

  @Test
  void groupSubcommandMissingIsAUsageError() {
    assertUsageError(CliRun.run("group"), "missing subcommand");
  }
}
