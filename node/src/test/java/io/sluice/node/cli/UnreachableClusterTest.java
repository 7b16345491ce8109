package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A client command against an address where nothing listens fails with one line, exit 1. */
class UnreachableClusterTest {

  private static String closedAddress() throws IOException {
    try (ServerSocket probe = new ServerSocket()) {
      probe.bind(new InetSocketAddress("127.0.0.1", 0));
      return "127.0.0.1:" + probe.getLocalPort();
    }
  }

  @Test
  void failsWithOneLineAndNoStackTrace() throws IOException {
    CliRun run =
        CliRun.run("topic", "list", "--bootstrap", closedAddress(), "--timeout-ms", "1500");

    assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().startsWith("sluice: error: "), run.toString());
    assertEquals("", run.out(), run.toString());
  }

  @Test
  void verboseAddsTheStackTrace() throws IOException {
    CliRun run =
        CliRun.run(
            "topic", "list", "--bootstrap", closedAddress(), "--timeout-ms", "1500", "--verbose");

    assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
    assertTrue(run.err().startsWith("sluice: error: "), run.toString());
    assertTrue(run.err().contains("\tat "), run.toString());
  }
}
