package io.sluice.client.internal;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * The client's TLS settings, turned into one Netty {@link SslContext} shared by every channel:
 * the CA(s) trusted for the servers' certificates (null: the JVM's default trust store) and an
 * optional certificate and key for mutual TLS. The files are read once, when built. Immutable;
 * thread-safe.
 */
public final class ClientTls {
  private final SslContext sslContext;
  private final String describe;

  private ClientTls(SslContext sslContext, String describe) {
    this.sslContext = sslContext;
    this.describe = describe;
  }

  /**
   * Reads and checks the files.
   *
   * @param trustCa PEM CA certificate(s), or null for the JVM's default trust store
   * @param cert    PEM client certificate (chain), or null for none
   * @param key     PEM private key of {@code cert} (PKCS#8), null exactly when {@code cert} is
   * @throws IllegalArgumentException naming the file that is missing, unreadable or malformed
   */
  public static ClientTls of(Path trustCa, Path cert, Path key) {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException("a TLS client certificate needs its key and the key its certificate");
    }
    SslContextBuilder b = GrpcSslContexts.forClient();
    if (trustCa != null) {
      readable(trustCa, "TLS CA file");
      try {
        b.trustManager(trustCa.toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TLS CA file " + trustCa + " holds no usable PEM certificate: "
            + rootMessage(e), e);
      }
    }
    if (cert != null) {
      readable(cert, "TLS client certificate");
      readable(key, "TLS client key");
      try {
        b.keyManager(cert.toFile(), key.toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("TLS client certificate " + cert + " and key " + key
            + " cannot be used (PEM certificate and unencrypted PKCS#8 key of the same pair expected): "
            + rootMessage(e), e);
      }
    }
    try {
      return new ClientTls(b.build(), "TLS (trusting " + (trustCa == null ? "the JVM's default CAs" : trustCa)
          + (cert == null ? "" : ", client certificate " + cert) + ")");
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot set up TLS from " + (trustCa == null ? "" : trustCa + " ")
          + (cert == null ? "" : cert + " " + key) + ": " + rootMessage(e), e);
    }
  }

  SslContext sslContext() {
    return sslContext;
  }

  @Override
  public String toString() {
    return describe;
  }

  private static void readable(Path file, String what) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(what + " " + file + " does not exist or is not a file");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException(what + " " + file + " is not readable by this user");
    }
    try {
      if (Files.size(file) == 0) {
        throw new IllegalArgumentException(what + " " + file + " is empty");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " " + file + " cannot be read: " + e.getMessage(), e);
    }
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }
}
