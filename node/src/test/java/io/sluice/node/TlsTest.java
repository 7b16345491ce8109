package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.node.cli.CliForTests;
import io.sluice.node.security.DevCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the client port and mutual TLS on Raft: a 3-node cluster whose clients must present a
 * certificate (tls.client.auth=required), certificates made by {@code certs dev}'s code. Each test
 * names the guarantee it checks; the cluster is shared (started once) to keep the suite short.
 */
class TlsTest {
  @TempDir static Path root;
  static Path certs;
  static TestCluster cluster;

  @BeforeAll
  static void startCluster() throws IOException {
    certs = root.resolve("certs");
    DevCertificates.writeDev(certs, List.of("n1", "n2", "n3"), List.of(), 30, "alice");
    // Reload checks twice a second, so that certificateAndKeyAreReloadedWithoutRestart is quick.
    cluster = new TestCluster(root.resolve("data"), 3, Map.of("tls.reload.interval.ms", "500"));
    for (String id : cluster.configs.keySet()) {
      cluster.configs.get(id).putAll(tlsConfig(certs, id, "required"));
    }
    for (String id : cluster.configs.keySet()) {
      cluster.startNode(id);
    }
    cluster.awaitLeader(Duration.ofSeconds(60));
    cluster.awaitRegistered(Duration.ofSeconds(60));
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Map<String, String> tlsConfig(Path dir, String id, String clientAuth) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("tls.cert.file", dir.resolve(id + ".crt").toString());
    c.put("tls.key.file", dir.resolve(id + ".key").toString());
    c.put("tls.client.ca.file", dir.resolve("ca.crt").toString());
    c.put("tls.client.auth", clientAuth);
    return c;
  }

  private static SluiceClient.Builder mtlsClient() {
    return SluiceClient.builder().bootstrap(cluster.bootstrap()).requestTimeout(Duration.ofSeconds(5))
        .tlsTrustCertificates(certs.resolve("ca.crt"))
        .tlsClientCertificate(certs.resolve("client.crt"), certs.resolve("client.key"));
  }

  /** The failure of {@code f}, unwrapped; fails the test if it succeeds. */
  private static SluiceException failure(CompletableFuture<?> f) {
    CompletionException e = assertThrows(CompletionException.class, () -> f.orTimeout(60, TimeUnit.SECONDS).join());
    assertTrue(e.getCause() instanceof SluiceException, "expected a SluiceException, got " + e.getCause());
    return (SluiceException) e.getCause();
  }

  @Test
  void produceAndConsumeRoundTripOverTlsWithMutualTlsBetweenNodes() throws Exception {
    try (SluiceClient client = mtlsClient().build()) {
      client.admin().createTopic("tls-orders", 3).get(30, TimeUnit.SECONDS);
      List<CompletableFuture<?>> sends = new ArrayList<>();
      try (Producer producer = client.newProducer()) {
        for (int i = 0; i < 300; i++) {
          sends.add(producer.send(ProducerRecord.builder("tls-orders").partition(i % 3)
              .value(("v" + i).getBytes(StandardCharsets.UTF_8)).build()));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      List<String> seen = new ArrayList<>();
      try (Consumer consumer = client.newConsumer()) {
        consumer.assign(List.of(new TopicPartition("tls-orders", 0), new TopicPartition("tls-orders", 1),
            new TopicPartition("tls-orders", 2)));
        consumer.seekToBeginning(consumer.assignment());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (seen.size() < 300 && System.nanoTime() < deadline) {
          for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
            seen.add(new String(r.value(), StandardCharsets.UTF_8));
          }
        }
      }
      assertEquals(300, seen.size(), "every record read back over TLS");
      assertTrue(seen.contains("v0") && seen.contains("v299"));
    }
    // Replication went over the mutual-TLS Raft transport: every replica holds the records.
    cluster.assertReplicasIdentical();
    for (SluiceNode n : cluster.nodes.values()) {
      assertEquals(300, TestCluster.readAll(n, "tls-orders").values().stream().mapToInt(List::size).sum(), n.id());
      assertTrue(n.tlsEnabled());
    }
  }

  @Test
  void raftPortPresentsTheNodeCertificate() throws Exception {
    String raft = cluster.configs.get("n1").get("raft.listen");
    X509Certificate presented = handshake(raft);
    assertEquals("CN=n1", presented.getSubjectX500Principal().getName());
  }

  @Test
  void clientPortPresentsTheNodeCertificate() throws Exception {
    X509Certificate presented = handshake(cluster.clientAddress("n2"));
    assertEquals("CN=n2", presented.getSubjectX500Principal().getName());
  }

  /** A TLS handshake trusting anything, to see which certificate a port presents. */
  private static X509Certificate handshake(String address) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    HostPort hp = HostPort.parse(address, "address");
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(hp.host(), hp.port()), 5000);
      socket.setSoTimeout(5000);
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void clientThatDoesNotTrustTheServerGetsAClearErrorAtOnce() throws Exception {
    Path other = root.resolve("other-ca");
    DevCertificates.writeDev(other, List.of("x1"), List.of(), 30, "mallory");
    try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.clientAddress("n1"))
        .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(other.resolve("ca.crt")).build()) {
      long start = System.nanoTime();
      SluiceException e = failure(client.admin().describeCluster());
      assertTrue(e.getMessage().contains("TLS handshake with " + cluster.clientAddress("n1") + " failed"), e.toString());
      assertTrue(e.getMessage().contains("not signed by a CA this client trusts"), e.toString());
      assertFalse(e.retriable(), "a certificate problem does not go away by retrying");
      // Not retried until the operation's deadline (2 x 5 s): reported on the first failure.
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(9), "reported without retrying for long");
    }
  }

  @Test
  void plaintextClientGetsAClearErrorAndTheNodeKeepsServingTlsClients() throws Exception {
    try (SluiceClient plain = SluiceClient.builder().bootstrap(cluster.clientAddress("n1"))
        .requestTimeout(Duration.ofSeconds(2)).build()) {
      SluiceException e = failure(plain.admin().describeCluster());
      assertTrue(e.getMessage().contains("the server speaks TLS?") && e.getMessage().contains("--tls-ca"),
          e.toString());
    }
    try (SluiceClient client = mtlsClient().bootstrap(cluster.clientAddress("n1")).build()) {
      assertNotNull(client.admin().describeCluster().get(30, TimeUnit.SECONDS).leaderId());
    }
  }

  @Test
  void clientWithoutCertificateIsRejectedWhenMutualTlsIsRequired() {
    try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.clientAddress("n2"))
        .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(certs.resolve("ca.crt")).build()) {
      SluiceException e = failure(client.admin().describeCluster());
      assertTrue(e.getMessage().contains("refused this client's certificate, or requires one"), e.toString());
    }
  }

  @Test
  void expiredClientCertificateIsRejected() throws Exception {
    DevCertificates.Authority ca = DevCertificates.loadAuthority(certs.resolve("ca.crt"), certs.resolve("ca.key"));
    Path dir = Files.createDirectories(root.resolve("expired-client"));
    Instant now = Instant.now();
    ca.issue("bob", List.of(), now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)))
        .write(dir.resolve("bob.crt"), dir.resolve("bob.key"));
    try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.clientAddress("n3"))
        .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(certs.resolve("ca.crt"))
        .tlsClientCertificate(dir.resolve("bob.crt"), dir.resolve("bob.key")).build()) {
      SluiceException e = failure(client.admin().describeCluster());
      assertTrue(e.getMessage().contains("refused this client's certificate, or requires one"), e.toString());
    }
  }

  @Test
  void expiredServerCertificateIsRejectedByTheClient() throws Exception {
    DevCertificates.Authority ca = DevCertificates.loadAuthority(certs.resolve("ca.crt"), certs.resolve("ca.key"));
    Path dir = Files.createDirectories(root.resolve("expired-server"));
    Instant now = Instant.now();
    ca.issue("old", List.of("localhost", "127.0.0.1"), now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)))
        .write(dir.resolve("old.crt"), dir.resolve("old.key"));
    // A bare TLS server with the expired certificate (a node refuses to start with one, see below).
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
        TlsServerCredentials.create(dir.resolve("old.crt").toFile(), dir.resolve("old.key").toFile())).build().start();
    try (SluiceClient client = SluiceClient.builder().bootstrap("127.0.0.1:" + server.getPort())
        .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(certs.resolve("ca.crt")).build()) {
      SluiceException e = failure(client.admin().describeCluster());
      assertTrue(e.getMessage().contains("TLS handshake") && e.getMessage().contains("expired"), e.toString());
      assertFalse(e.retriable());
    } finally {
      server.shutdownNow();
    }
  }

  @Test
  void nodeRefusesToStartWithBrokenTlsMaterial() throws Exception {
    DevCertificates.Authority ca = DevCertificates.loadAuthority(certs.resolve("ca.crt"), certs.resolve("ca.key"));
    Path dir = Files.createDirectories(root.resolve("broken"));
    Instant now = Instant.now();
    ca.issue("n9", List.of("127.0.0.1"), now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)))
        .write(dir.resolve("expired.crt"), dir.resolve("expired.key"));
    Map<String, String> base = new LinkedHashMap<>();
    base.put("node.id", "n9");
    base.put("data.dir", root.resolve("n9").toString());
    base.put("listen", "127.0.0.1:" + TestCluster.freePort());
    int raft = TestCluster.freePort();
    base.put("raft.listen", "127.0.0.1:" + raft);
    base.put("peers", "n9=127.0.0.1:" + raft);
    base.put("http.listen", "127.0.0.1:0");
    base.put("tls.client.ca.file", certs.resolve("ca.crt").toString());

    assertStartFails(base, dir.resolve("missing.crt"), certs.resolve("n1.key"), "tls.cert.file", "does not exist");
    assertStartFails(base, certs.resolve("n1.crt"), certs.resolve("n2.key"), "tls.key.file", "does not match");
    assertStartFails(base, dir.resolve("expired.crt"), dir.resolve("expired.key"), "tls.cert.file", "expired");
    Path garbage = Files.writeString(dir.resolve("garbage.crt"), "not a certificate\n");
    assertStartFails(base, garbage, certs.resolve("n1.key"), "garbage.crt", "no PEM certificate");
    Path unreadable = dir.resolve("unreadable.key");
    Files.copy(certs.resolve("n1.key"), unreadable);
    if (unreadable.toFile().setReadable(false, false) && !Files.isReadable(unreadable)) { // root reads anything
      assertStartFails(base, certs.resolve("n1.crt"), unreadable, "tls.key.file", "not readable");
    }
    assertFalse(Files.exists(root.resolve("n9")), "a refused start leaves no data directory behind");
  }

  private static void assertStartFails(Map<String, String> base, Path cert, Path key, String... fragments) {
    Map<String, String> c = new LinkedHashMap<>(base);
    c.put("tls.cert.file", cert.toString());
    c.put("tls.key.file", key.toString());
    SluiceNode node = new SluiceNode(NodeConfig.of(c));
    IOException e = assertThrows(IOException.class, node::start);
    node.close();
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
    }
  }

  @Test
  void tlsConfigurationErrorsNameTheKeys() {
    Map<String, String> base = new LinkedHashMap<>();
    base.put("node.id", "n1");
    base.put("data.dir", "/tmp/x");
    base.put("peers", "n1=127.0.0.1:7170");
    assertConfigError(base, Map.of("tls.cert.file", "/a.crt"), "only tls.cert.file is set");
    assertConfigError(base, Map.of("tls.cert.file", "/a.crt", "tls.key.file", "/a.key"), "TLS between nodes is mutual");
    assertConfigError(base, Map.of("tls.client.auth", "required"), "needs TLS");
    assertConfigError(base, Map.of("tls.cert.file", "/a.crt", "tls.key.file", "/a.key", "tls.peer.ca.file", "/ca",
        "tls.client.auth", "optional"), "needs tls.client.ca.file");
    assertConfigError(base, Map.of("tls.client.auth", "sometimes"), "none, optional or required");
    assertConfigError(base, Map.of("tls.client.ca.file", "/ca.crt"), "TLS is off");
  }

  private static void assertConfigError(Map<String, String> base, Map<String, String> extra, String fragment) {
    Map<String, String> c = new LinkedHashMap<>(base);
    c.putAll(extra);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(c));
    assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
  }

  @Test
  void cliClientCommandsTakeTlsFlags() {
    CliForTests.Result ok = CliForTests.run("topic", "create", "tls-cli", "--partitions", "2",
        "--bootstrap", cluster.bootstrap(), "--tls-ca", certs.resolve("ca.crt").toString(),
        "--tls-cert", certs.resolve("client.crt").toString(), "--tls-key", certs.resolve("client.key").toString());
    assertEquals(0, ok.exitCode(), ok.toString());
    CliForTests.Result status = CliForTests.run("cluster", "status", "--bootstrap", cluster.bootstrap(),
        "--tls-ca", certs.resolve("ca.crt").toString(), "--tls-cert", certs.resolve("client.crt").toString(),
        "--tls-key", certs.resolve("client.key").toString());
    assertEquals(0, status.exitCode(), status.toString());
    assertTrue(status.out().contains("LEADER"), status.toString());

    CliForTests.Result plain = CliForTests.run("topic", "list", "--bootstrap", cluster.clientAddress("n1"),
        "--timeout-ms", "4000");
    assertEquals(1, plain.exitCode(), plain.toString());
    assertTrue(plain.err().startsWith("sluice: error: ") && plain.err().contains("TLS"), plain.toString());

    CliForTests.Result noCert = CliForTests.run("topic", "list", "--bootstrap", cluster.clientAddress("n1"),
        "--tls-ca", certs.resolve("ca.crt").toString(), "--timeout-ms", "4000");
    assertEquals(1, noCert.exitCode(), noCert.toString());
    assertTrue(noCert.err().contains("TLS handshake"), noCert.toString());
  }

  @Test
  void tlsClientTalkingToAPlaintextServerGetsAClearError() throws Exception {
    Server plain = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).build().start();
    try (SluiceClient client = SluiceClient.builder().bootstrap("127.0.0.1:" + plain.getPort())
        .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(certs.resolve("ca.crt")).build()) {
      SluiceException e = failure(client.admin().describeCluster());
      assertTrue(e.getMessage().contains("TLS handshake") && e.getMessage().contains("does not speak TLS"),
          e.toString());
      assertFalse(e.retriable());
    } finally {
      plain.shutdownNow();
    }
  }

  @Test
  void certificateAndKeyAreReloadedWithoutRestart() throws Exception {
    DevCertificates.Authority ca = DevCertificates.loadAuthority(certs.resolve("ca.crt"), certs.resolve("ca.key"));
    String address = cluster.clientAddress("n3");
    X509Certificate before = handshake(address);
    // A pair that does not match is refused: the node keeps serving the old certificate.
    DevCertificates.Issued other = ca.issue("n3", List.of("n3", "localhost", "127.0.0.1"), Duration.ofDays(30));
    DevCertificates.Issued renewed = ca.issue("n3", List.of("n3", "localhost", "127.0.0.1"), Duration.ofDays(30));
    Files.writeString(certs.resolve("n3.crt"), DevCertificates.pem(renewed.certificate()));
    Files.writeString(certs.resolve("n3.key"), DevCertificates.pem(other.key()));
    Thread.sleep(2000);
    assertEquals(before.getSerialNumber(), handshake(address).getSerialNumber(), "a mismatched pair must not be used");
    // The matching key arrives: new connections get the renewed certificate, no restart.
    renewed.write(certs.resolve("n3.crt"), certs.resolve("n3.key"));
    TestCluster.await(Duration.ofSeconds(30), "n3 to present the renewed certificate", () -> {
      try {
        return handshake(address).getSerialNumber().equals(renewed.certificate().getSerialNumber());
      } catch (Exception e) {
        return false;
      }
    });
    // Raft uses the same key manager: n3 still replicates (its peers check the renewed certificate).
    try (SluiceClient client = mtlsClient().build()) {
      client.admin().createTopic("after-reload", 1).get(30, TimeUnit.SECONDS);
    }
    TestCluster.await(Duration.ofSeconds(30), "n3 to apply a write made after the reload",
        () -> cluster.nodes.get("n3").core().topicView("after-reload").isPresent());
  }

  @Test
  void verifyRunsItsWorkloadOverTls() throws Exception {
    Path out = root.resolve("verify-out");
    String[] tls = {"--tls-ca", certs.resolve("ca.crt").toString(), "--tls-cert", certs.resolve("client.crt").toString(),
        "--tls-key", certs.resolve("client.key").toString()};
    List<String> args = new ArrayList<>(List.of("verify", "--bootstrap", cluster.bootstrap(), "--duration", "4s",
        "--seed", "5", "--rate", "40", "--out", out.toString(), "--settle-timeout", "60s"));
    args.addAll(List.of(tls));
    CliForTests.Result run = CliForTests.run(args.toArray(String[]::new));
    assertEquals(0, run.exitCode(), run.toString());
    assertTrue(run.out().contains("\"valid\" : true") || run.out().contains("\"valid\":true"), run.toString());
    assertTrue(run.out().contains("\"final-read\""), "final reads from every node (NodeChannels over TLS): " + run);
    assertTrue(run.err().contains(String.join(" ", tls)), "the reproduce line keeps the TLS flags: " + run.err());
  }

  @Test
  void serverCertificateMustNameTheAddressTheClientDials() throws Exception {
    DevCertificates.Authority ca = DevCertificates.loadAuthority(certs.resolve("ca.crt"), certs.resolve("ca.key"));
    Path dir = Files.createDirectories(root.resolve("wrong-name"));
    ca.issue("elsewhere", List.of("elsewhere.example", "10.9.9.9"), Duration.ofDays(1))
        .write(dir.resolve("e.crt"), dir.resolve("e.key"));
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
        TlsServerCredentials.create(dir.resolve("e.crt").toFile(), dir.resolve("e.key").toFile())).build().start();
    try (SluiceClient client = SluiceClient.builder().bootstrap("127.0.0.1:" + server.getPort())
        .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(certs.resolve("ca.crt")).build()) {
      SluiceException e = failure(client.admin().describeCluster());
      assertTrue(e.getMessage().contains("TLS handshake") && e.getMessage().contains("subjectAltNames"), e.toString());
    } finally {
      server.shutdownNow();
    }
  }
}
