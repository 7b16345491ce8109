package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.security.DevCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice certs dev} writes PEM files that parse, chain to ca.crt and suit servers and clients. */
class CertsCommandTest {
  @TempDir Path dir;

  @Test
  void devCertificatesParseAndChainToTheCa() throws Exception {
    Path out = dir.resolve("certs");
    CliRun run = CliRun.run("certs", "dev", "--out", out.toString(), "--nodes", "n1,n2", "--hosts",
        "10.1.2.3,sluice.example.com", "--days", "10", "--client", "alice");
    assertEquals(0, run.exitCode(), run.toString());
    X509Certificate ca = DevCertificates.Pem.readCertificates(out.resolve("ca.crt")).get(0);
    assertEquals(ca.getSubjectX500Principal(), ca.getIssuerX500Principal());
    assertTrue(ca.getBasicConstraints() >= 0, "ca.crt is a CA");
    ca.verify(ca.getPublicKey());
    assertKeyMatches(ca, DevCertificates.Pem.readPrivateKey(out.resolve("ca.key")));

    for (String node : List.of("n1", "n2")) {
      X509Certificate cert = DevCertificates.Pem.readCertificates(out.resolve(node + ".crt")).get(0);
      cert.verify(ca.getPublicKey()); // throws unless ca.crt signed it
      cert.checkValidity();
      assertEquals("CN=" + node, cert.getSubjectX500Principal().getName());
      assertEquals(-1, cert.getBasicConstraints(), "not a CA");
      assertTrue(cert.getExtendedKeyUsage().containsAll(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2")),
          "server and client use: " + cert.getExtendedKeyUsage());
      assertEquals(Set.of(node, "localhost", "127.0.0.1", "10.1.2.3", "sluice.example.com"), sans(cert));
      long days = (cert.getNotAfter().getTime() - System.currentTimeMillis()) / 86_400_000L;
      assertTrue(days >= 9 && days <= 10, "valid about 10 days, got " + days);
      assertKeyMatches(cert, DevCertificates.Pem.readPrivateKey(out.resolve(node + ".key")));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve(node + ".key"))));
    }
    X509Certificate client = DevCertificates.Pem.readCertificates(out.resolve("client.crt")).get(0);
    client.verify(ca.getPublicKey());
    assertEquals("CN=alice", client.getSubjectX500Principal().getName());
    assertKeyMatches(client, DevCertificates.Pem.readPrivateKey(out.resolve("client.key")));
    assertTrue(Files.readString(out.resolve("client.key")).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");

    // Run again: the CA is kept (certificates issued before stay valid), the others are new.
    String caBefore = Files.readString(out.resolve("ca.crt"));
    String n1Before = Files.readString(out.resolve("n1.crt"));
    CliRun again = CliRun.run("certs", "dev", "--out", out.toString(), "--nodes", "n1,n2");
    assertEquals(0, again.exitCode(), again.toString());
    assertTrue(again.out().contains("kept the CA"), again.toString());
    assertEquals(caBefore, Files.readString(out.resolve("ca.crt")));
    assertNotEquals(n1Before, Files.readString(out.resolve("n1.crt")));
    DevCertificates.Pem.readCertificates(out.resolve("n1.crt")).get(0).verify(ca.getPublicKey());
  }

  private static Set<String> sans(X509Certificate cert) throws Exception {
    Set<String> out = new HashSet<>();
    Collection<List<?>> names = cert.getSubjectAlternativeNames();
    for (List<?> n : names) {
      out.add(n.get(1).toString());
    }
    return out;
  }

  private static void assertKeyMatches(X509Certificate cert, PrivateKey key) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    Signature v = Signature.getInstance("SHA256withECDSA");
    v.initVerify(cert.getPublicKey());
    v.update(new byte[] {1, 2, 3});
    assertTrue(v.verify(sig), "key matches " + cert.getSubjectX500Principal());
  }

  @Test
  void certsDevUsageErrors() {
    assertUsage(CliRun.run("certs", "dev"), "--out");
    assertUsage(CliRun.run("certs", "dev", "--out", dir.toString(), "--days", "0"), "--days must be positive");
    assertUsage(CliRun.run("certs", "dev", "--out", dir.toString(), "--nodes", "n1,bad/name"), "node name 'bad/name'");
    assertUsage(CliRun.run("certs", "dev", "--out", dir.toString(), "--nodes", "n1", "--client", "n1"), "distinct");
    assertUsage(CliRun.run("certs"), "missing subcommand");
  }

  @Test
  void clientTlsFlagErrors() {
    assertUsage(CliRun.run("topic", "list", "--tls-cert", dir.resolve("c.crt").toString()), "--tls-cert needs --tls-key");
    assertUsage(CliRun.run("cluster", "status", "--tls-key", dir.resolve("c.key").toString()), "--tls-key needs --tls-cert");
    CliRun missing = CliRun.run("topic", "list", "--tls-ca", dir.resolve("nope.crt").toString());
    assertEquals(SluiceCli.EXIT_FAILED, missing.exitCode(), missing.toString());
    assertEquals(1, missing.errLines().size(), missing.toString());
    assertTrue(missing.err().startsWith("sluice: error: TLS CA file ") && missing.err().contains("does not exist"),
        missing.toString());
  }

  @Test
  void everyClientCommandTakesTheTlsFlags() {
    for (String[] command : List.of(new String[] {"topic", "list"}, new String[] {"topic", "create", "t"},
        new String[] {"produce", "--topic", "t"}, new String[] {"consume", "--topic", "t"},
        new String[] {"cluster", "status"}, new String[] {"group", "list"}, new String[] {"verify"},
        new String[] {"bench", "produce", "--topic", "t"}, new String[] {"bench", "consume", "--topic", "t"},
        new String[] {"bench", "e2e", "--topic", "t"})) {
      List<String> args = new java.util.ArrayList<>(List.of(command));
      args.add("--help");
      CliRun help = CliRun.run(args.toArray(String[]::new));
      assertEquals(0, help.exitCode(), help.toString());
      for (String flag : List.of("--tls-ca", "--tls-cert", "--tls-key")) {
        assertTrue(help.out().contains(flag), String.join(" ", command) + " lacks " + flag);
      }
    }
  }

  private static void assertUsage(CliRun run, String fragment) {
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    assertTrue(run.err().startsWith("sluice: error: ") && run.err().contains(fragment),
        "expected '" + fragment + "' in " + run);
  }

  @Test
  void localClusterWithTlsPassesEachNodeItsCertificate() {
    LocalClusterPlan plan = LocalClusterPlan.of(3, dir.resolve("data"), 7070, 7170).withTls(dir.resolve("certs"));
    List<String> args = plan.serverArgs(plan.nodes().get(1));
    String certs = dir.resolve("certs").toAbsolutePath().toString();
    assertEquals(certs + "/n2.crt", args.get(args.indexOf("--tls-cert") + 1));
    assertEquals(certs + "/n2.key", args.get(args.indexOf("--tls-key") + 1));
    assertEquals(certs + "/ca.crt", args.get(args.indexOf("--tls-client-ca") + 1));
    assertTrue(!LocalClusterPlan.of(3, dir.resolve("data"), 7070, 7170).serverArgs(plan.nodes().get(0))
        .contains("--tls-cert"), "no TLS unless asked");
  }
}
