package io.sluice.node.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The identity mapping of {@link Authenticator}: bearer tokens by hash, the bootstrap token, and
 * the subject CN of a real client certificate (generated here with the JDK's keytool) read from a
 * TLS session the way gRPC hands it over (Grpc.TRANSPORT_ATTR_SSL_SESSION).
 */
class AuthenticatorTest {
  private static final String BOOTSTRAP = "bootstrap-secret-0123456789abcdef0123456789";

  @TempDir Path tmp;

  private final Map<String, String> tokens = Map.of(hex(Authenticator.sha256("alice-secret")), "alice");

  private Authenticator authenticator() {
    return new Authenticator(true, new Principal("root"), Authenticator.sha256(BOOTSTRAP),
        sha -> Optional.ofNullable(tokens.get(hex(sha))), new AuthEvents(new SimpleMeterRegistry(), "n1", false));
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }

  /** A self-signed certificate with {@code dname}, made by keytool (a real X.509 certificate). */
  private X509Certificate certificate(String dname) throws Exception {
    Path store = tmp.resolve("client-" + Math.abs(dname.hashCode()) + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", dname,
        "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit",
        "-keypass", "changeit").redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool finished");
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    return (X509Certificate) ks.getCertificate("client");
  }

  /** A TLS session whose peer presented {@code chain} (null: no client certificate). */
  private static SSLSession session(Certificate[] chain) {
    return (SSLSession) Proxy.newProxyInstance(AuthenticatorTest.class.getClassLoader(), new Class<?>[] {SSLSession.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getPeerCertificates")) {
            if (chain == null) {
              throw new SSLPeerUnverifiedException("peer not authenticated");
            }
            return chain;
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void mutualTlsIdentityIsTheClientCertificateSubjectCn() throws Exception {
    X509Certificate cert = certificate("CN=alice.payments, OU=Payments, O=Acme, C=NL");
    assertEquals("alice.payments", authenticator().authenticate(null, session(new Certificate[] {cert}))
        .principal().name());
    assertNull(authenticator().authenticate(null, session(new Certificate[] {cert})).tokenSha256(),
        "a certificate identity has no token to revoke");
  }

  @Test
  void cnWithSpacesAndEscapesIsKeptWhole() throws Exception {
    X509Certificate cert = certificate("CN=Alice Smith\\, Jr., O=Acme");
    assertEquals("Alice Smith, Jr.", authenticator().authenticate(null, session(new Certificate[] {cert}))
        .principal().name());
    // The most specific CN wins when a subject has several.
    assertEquals(Optional.of("leaf"), Authenticator.subjectCn(new X500Principal("CN=leaf, CN=outer, O=Acme")));
    assertEquals(Optional.empty(), Authenticator.subjectCn(new X500Principal("O=Acme, C=NL")));
  }

  @Test
  void aCertificateWithoutCnOrNoCertificateIsUnauthenticated() throws Exception {
    X509Certificate noCn = certificate("O=Acme, C=NL");
    assertUnauthenticated(() -> authenticator().authenticate(null, session(new Certificate[] {noCn})));
    assertUnauthenticated(() -> authenticator().authenticate(null, session(null)));
    assertUnauthenticated(() -> authenticator().authenticate(null, null));
  }

  @Test
  void aPresentedTokenWinsOverTheCertificateAndMustBeValid() throws Exception {
    X509Certificate cert = certificate("CN=mallory, O=Acme");
    assertEquals("alice", authenticator().authenticate("Bearer alice-secret", session(new Certificate[] {cert}))
        .principal().name());
    StatusRuntimeException e = assertUnauthenticated(() ->
        authenticator().authenticate("Bearer wrong", session(new Certificate[] {cert})));
    assertTrue(e.getStatus().getDescription().contains("unknown or revoked"), e.getStatus().getDescription());
  }

  @Test
  void bearerTokensAndTheBootstrapToken() {
    Authenticator a = authenticator();
    assertEquals("alice", a.authenticate("Bearer alice-secret", null).principal().name());
    assertEquals("alice", a.authenticate("bearer   alice-secret ", null).principal().name(), "scheme is case-insensitive");
    assertEquals("root", a.authenticate("Bearer " + BOOTSTRAP, null).principal().name());
    assertTrue(a.stillValid(Authenticator.sha256(BOOTSTRAP)));
    assertTrue(a.stillValid(Authenticator.sha256("alice-secret")));
    assertTrue(!a.stillValid(Authenticator.sha256("gone")));
    assertUnauthenticated(() -> a.authenticate("Basic YWxpY2U6eA==", null));
    assertUnauthenticated(() -> a.authenticate("Bearer ", null));
    assertUnauthenticated(() -> a.authenticate("Bearer " + "x".repeat(Authenticator.TOKEN_LENGTH_MAX + 1), null));
  }

  private static StatusRuntimeException assertUnauthenticated(org.junit.jupiter.api.function.Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    return e;
  }
}
