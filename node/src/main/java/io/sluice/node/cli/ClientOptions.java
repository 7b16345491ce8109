package io.sluice.node.cli;

import io.sluice.client.Admin;
import io.sluice.client.SluiceClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

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
      names = "--tls-ca",
      paramLabel = "PEM",
      description = "Connect over TLS, trusting this CA certificate file for the nodes' certificates"
          + " (e.g. ca.crt of `sluice certs dev`).")
  Path tlsCa;

  @Option(
      names = "--tls-cert",
      paramLabel = "PEM",
      description = "Client certificate for mutual TLS (with --tls-key); its subject names the client.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "PEM",
      description = "Private key (unencrypted PKCS#8 PEM) of --tls-cert.")
  Path tlsKey;

  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "Bearer token for a cluster with authentication on (default: $SLUICE_TOKEN). A command line"
              + " is visible to other users of the machine: prefer --token-file or SLUICE_TOKEN.")
  String token;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "File holding the bearer token (its first line).")
  java.nio.file.Path tokenFile;

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
    return tls(SluiceClient.builder()
        .bootstrap(bootstrap.addresses())
        .requestTimeout(requestTimeout)
        .token(token()))
        .build();
  }

  /** Applies --tls-ca, --tls-cert and --tls-key to {@code builder}; a usage error when only one of cert/key is given. */
  SluiceClient.Builder tls(SluiceClient.Builder builder) {
    checkTls();
    if (tlsCa != null) {
      builder.tlsTrustCertificates(tlsCa);
    }
    if (tlsCert != null) {
      builder.tlsClientCertificate(tlsCert, tlsKey);
    }
    return builder;
  }

  /** Whether any TLS option was given. */
  boolean tlsEnabled() {
    return tlsCa != null || tlsCert != null || tlsKey != null;
  }

  void checkTls() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new ParameterException(mixee.commandLine(), tlsCert == null
          ? "--tls-key needs --tls-cert (the certificate of that key)"
          : "--tls-cert needs --tls-key (the private key of that certificate)");
    }
  }

  /** The token to send: --token-file, else --token, else $SLUICE_TOKEN; null for none. */
  String token() {
    if (token != null && tokenFile != null) {
      throw new CliException("--token and --token-file exclude each other");
    }
    String t;
    if (tokenFile != null) {
      try {
        java.util.List<String> lines = java.nio.file.Files.readAllLines(tokenFile);
        t = lines.isEmpty() ? "" : lines.get(0).strip();
      } catch (java.io.IOException | java.io.UncheckedIOException e) {
        throw new CliException("cannot read --token-file " + tokenFile + ": " + e.getMessage(), e);
      }
      if (t.isEmpty()) {
        throw new CliException("--token-file " + tokenFile + " is empty");
      }
    } else if (token != null) {
      t = token.strip();
      if (t.isEmpty()) {
        throw new CliException("--token is empty");
      }
    } else {
      t = System.getenv("SLUICE_TOKEN");
      if (t == null || t.isBlank()) {
        return null;
      }
      t = t.strip();
    }
    if (t.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new CliException("the token holds spaces or non-ASCII characters; is it the right file?");
    }
    return t;
  }
}
