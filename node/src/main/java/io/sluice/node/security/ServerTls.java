package io.sluice.node.security;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's TLS material, from PEM files: its certificate and key (for the client port and, as
 * server and client, for Raft between nodes), the CA it trusts for client certificates, and the
 * CA it trusts for its peers. Everything is checked when loaded (files present and readable,
 * key matching the certificate, certificate valid now) so that a node with broken material refuses
 * to start with a message naming the file, rather than failing handshakes later.
 *
 * <p>The certificate and key are reloaded while serving when their files change ({@link
 * #watch}): new connections use the new pair, open ones keep theirs. A changed pair that fails the
 * checks is logged and the previous one stays. The CA files are read once, at start.
 *
 * <p>Thread-safe.
 */
public final class ServerTls {
  private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

  /** Whether client certificates are asked for on the client port (Kafka's ssl.client.auth). */
  public enum ClientAuth {
    NONE, OPTIONAL, REQUIRED;

    /** Parses none|optional|required. */
    public static ClientAuth parse(String s, String key) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + " must be none, optional or required, got '" + s + "'");
      }
    }
  }

  private final Path certFile;
  private final Path keyFile;
  private final ClientAuth clientAuth;
  private final AdvancedTlsX509KeyManager keyManager = new AdvancedTlsX509KeyManager();
  private final X509TrustManager clientTrust; // null without a client CA
  private final X509TrustManager peerTrust;
  private volatile Stamp loaded;
  private volatile X509Certificate current;
  private long lastExpiryWarningMs = Long.MIN_VALUE / 2; // scheduler thread only

  private record Stamp(long certModified, long keyModified, long certSize, long keySize) {}

  private ServerTls(Path certFile, Path keyFile, ClientAuth clientAuth, X509TrustManager clientTrust,
      X509TrustManager peerTrust) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.clientAuth = clientAuth;
    this.clientTrust = clientTrust;
    this.peerTrust = peerTrust;
  }

  /**
   * Loads and checks the material.
   *
   * @param clientCa CA for client certificates; null when clients are not asked for one
   * @param peerCa CA the node trusts for its peers' certificates (required: Raft is mutual TLS)
   * @throws IOException naming the file and what is wrong with it
   */
  public static ServerTls load(Path certFile, Path keyFile, Path clientCa, Path peerCa, ClientAuth clientAuth)
      throws IOException {
    X509TrustManager clientTrust = clientCa == null ? null : trustManager(clientCa, "tls.client.ca.file");
    X509TrustManager peerTrust = trustManager(peerCa, peerCa.equals(clientCa) ? "tls.client.ca.file" : "tls.peer.ca.file");
    ServerTls tls = new ServerTls(certFile, keyFile, clientAuth, clientTrust, peerTrust);
    tls.reload(true);
    return tls;
  }

  /** Checks the files every {@code intervalMs} and reloads the certificate and key when they changed. */
  public void watch(ScheduledExecutorService scheduler, long intervalMs) {
    scheduler.scheduleWithFixedDelay(() -> {
      try {
        reload(false);
      } catch (IOException | RuntimeException e) {
        LOG.error("TLS certificate {} / key {} changed but cannot be used, keeping the previous pair: {}",
            certFile, keyFile, e.getMessage());
      }
      warnIfExpiringSoon();
    }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** Logs a warning, at most hourly, while the certificate in use expires within 7 days. */
  private void warnIfExpiringSoon() {
    X509Certificate cert = current;
    long now = System.currentTimeMillis();
    if (cert != null && cert.getNotAfter().getTime() - now < TimeUnit.DAYS.toMillis(7)
        && now - lastExpiryWarningMs >= TimeUnit.HOURS.toMillis(1)) {
      lastExpiryWarningMs = now;
      LOG.warn("TLS certificate {} ({}) expires at {}; replace {} and {} (reloaded without a restart)", certFile,
          cert.getSubjectX500Principal().getName(), cert.getNotAfter().toInstant(), certFile, keyFile);
    }
  }

  /** Credentials for the client gRPC port. */
  public ServerCredentials clientPortCredentials() {
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(keyManager);
    if (clientTrust != null) {
      b.trustManager(clientTrust);
    }
    b.clientAuth(switch (clientAuth) {
      case NONE -> TlsServerCredentials.ClientAuth.NONE;
      case OPTIONAL -> TlsServerCredentials.ClientAuth.OPTIONAL;
      case REQUIRED -> TlsServerCredentials.ClientAuth.REQUIRE;
    });
    return b.build();
  }

  /** Ratis's TLS configuration: mutual TLS, this node's pair, the peer CA. */
  public GrpcTlsConfig raftTlsConfig() {
    return new GrpcTlsConfig(keyManager, peerTrust, true);
  }

  /** The certificate in use now. */
  public X509Certificate certificate() {
    return current;
  }

  private synchronized void reload(boolean first) throws IOException {
    readable(certFile, "tls.cert.file");
    readable(keyFile, "tls.key.file");
    Stamp now = stamp();
    if (!first && now.equals(loaded)) {
      return;
    }
    List<X509Certificate> chain = DevCertificates.Pem.readCertificates(readable(certFile, "tls.cert.file"));
    PrivateKey key = DevCertificates.Pem.readPrivateKey(readable(keyFile, "tls.key.file"));
    X509Certificate cert = chain.get(0);
    checkPair(cert, key);
    try {
      cert.checkValidity();
    } catch (CertificateExpiredException e) {
      throw new IOException("tls.cert.file " + certFile + " expired on " + cert.getNotAfter().toInstant()
          + " (" + cert.getSubjectX500Principal().getName() + "); issue a new one (e.g. `sluice certs dev`)");
    } catch (CertificateNotYetValidException e) {
      throw new IOException("tls.cert.file " + certFile + " is not valid before " + cert.getNotBefore().toInstant());
    }
    keyManager.updateIdentityCredentials(chain.toArray(X509Certificate[]::new), key);
    loaded = now;
    current = cert;
    if (!first) {
      LOG.info("TLS certificate reloaded from {}: {} valid until {}", certFile,
          cert.getSubjectX500Principal().getName(), cert.getNotAfter().toInstant());
    }
  }

  private Stamp stamp() throws IOException {
    try {
      return new Stamp(Files.getLastModifiedTime(certFile).toMillis(), Files.getLastModifiedTime(keyFile).toMillis(),
          Files.size(certFile), Files.size(keyFile));
    } catch (NoSuchFileException e) {
      throw new IOException("TLS file " + e.getFile() + " does not exist");
    }
  }

  private void checkPair(X509Certificate cert, PrivateKey key) throws IOException {
    byte[] probe = ("sluice tls key check " + Instant.now()).getBytes(StandardCharsets.UTF_8);
    try {
      String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + key.getAlgorithm();
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(cert.getPublicKey());
      v.update(probe);
      if (v.verify(sig)) {
        return;
      }
    } catch (GeneralSecurityException e) {
      // a key of another algorithm than the certificate's: reported below
    }
    throw new IOException("tls.key.file " + keyFile + " does not match the certificate in tls.cert.file " + certFile
        + " (" + cert.getSubjectX500Principal().getName() + ")");
  }

  static Path readable(Path file, String key) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException(key + " " + file + " does not exist");
    }
    if (!Files.isRegularFile(file)) {
      throw new IOException(key + " " + file + " is not a file");
    }
    if (!Files.isReadable(file)) {
      throw new IOException(key + " " + file + " is not readable by this user");
    }
    return file;
  }

  private static X509TrustManager trustManager(Path caFile, String key) throws IOException {
    List<X509Certificate> cas = DevCertificates.Pem.readCertificates(readable(caFile, key));
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        ks.setCertificateEntry("ca-" + i, cas.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(ks);
      for (TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509TrustManager x) {
          return x;
        }
      }
      throw new IOException("no X.509 trust manager for " + caFile);
    } catch (GeneralSecurityException e) {
      throw new IOException(key + " " + caFile + " cannot be used as a CA: " + e.getMessage(), e);
    }
  }
}
