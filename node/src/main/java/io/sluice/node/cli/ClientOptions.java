package io.sluice.node.cli;

import io.sluice.client.Admin;
import io.sluice.client.SluiceClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** Options of every command that talks to a running cluster. Mixed into each such command. */
final class ClientOptions {

  static final String DEFAULT_BOOTSTRAP = "127.0.0.1:7070";

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT[,HOST:PORT...]",
      defaultValue = "${env:SLUICE_BOOTSTRAP:-" + DEFAULT_BOOTSTRAP + "}",
      converter = BootstrapAddresses.Converter.class,
      description =
          "Client addresses of one or more nodes; any reachable one leads to the rest"
              + " (default: $SLUICE_BOOTSTRAP, else "
              + DEFAULT_BOOTSTRAP
              + ").")
  BootstrapAddresses bootstrap;

  @Option(
      names = {"-v", "--verbose"},
      description = "Log more, and print stack traces with errors.")
  boolean verbose;

  /**
   * A client for operations that should finish within {@code operationTimeoutMs}. The SDK retries
   * an operation for up to twice its request timeout, so each attempt gets half.
   */
  SluiceClient connectFor(long operationTimeoutMs) {
    return connect(Duration.ofMillis(Math.max(1, operationTimeoutMs / 2)));
  }

  /**
   * Runs one admin operation on a client of its own and waits for it, bounded by
   * {@code operationTimeoutMs}; failures surface as the SDK's exceptions (see {@link Await}).
   */
  <T> T admin(long operationTimeoutMs, String what, Function<Admin, CompletableFuture<T>> operation) {
    try (SluiceClient sluice = connectFor(operationTimeoutMs)) {
      return Await.get(operation.apply(sluice.admin()), operationTimeoutMs, what);
    }
  }

  /** A client whose single RPC attempts are bounded by {@code requestTimeout}. */
  SluiceClient connect(Duration requestTimeout) {
    return SluiceClient.builder()
        .bootstrap(bootstrap.addresses())
        .requestTimeout(requestTimeout)
        .build();
  }
}
