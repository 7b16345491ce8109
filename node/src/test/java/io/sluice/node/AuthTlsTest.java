package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.Acl;
import io.sluice.client.AuthorizationException;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.node.security.DevCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication by client certificate, end to end: on a 3-node cluster with mutual TLS required
 * and authentication on, a client presenting a certificate whose subject CN is {@code alice} (and
 * no token) runs as principal alice — denied what no ACL allows her, with her name in the
 * refusal, allowed exactly what the admin then grants — while a bearer token, when present, wins.
 */
class AuthTlsTest {
  private static final String ADMIN_SECRET = "0123456789abcdef0123456789abcdef-tls-admin";

  @Test
  void aClientCertificateSubjectIsThePrincipalThatAclsAreCheckedFor(@TempDir Path root) throws Exception {
    Path certs = root.resolve("certs");
    DevCertificates.writeDev(certs, List.of("n1", "n2", "n3"), List.of(), 30, "alice");
    Path tokenFile = root.resolve("admin.token");
    Files.writeString(tokenFile, ADMIN_SECRET + "\n");
    try (TestCluster cluster = new TestCluster(root.resolve("data"), 3, Map.of(
        "auth.enabled", "true", "auth.bootstrap.admin", "root", "auth.bootstrap.token.file", tokenFile.toString()))) {
      for (String id : cluster.configs.keySet()) {
        cluster.configs.get(id).putAll(TlsTest.tlsConfig(certs, id, "required"));
      }
      for (String id : cluster.configs.keySet()) {
        cluster.startNode(id);
      }
      cluster.awaitLeader(Duration.ofSeconds(60));
      cluster.awaitRegistered(Duration.ofSeconds(60));
      SluiceClient.Builder alice = SluiceClient.builder().bootstrap(cluster.bootstrap())
          .requestTimeout(Duration.ofSeconds(5)).tlsTrustCertificates(certs.resolve("ca.crt"))
          .tlsClientCertificate(certs.resolve("client.crt"), certs.resolve("client.key"));
      try (SluiceClient asAlice = alice.build();
           SluiceClient asRoot = alice.token(ADMIN_SECRET).build()) {
        // The token wins over the certificate: root may create topics, alice (the certificate) may not.
        asRoot.admin().createTopic("orders", 1).get(60, TimeUnit.SECONDS);
        ExecutionException denied = assertThrows(ExecutionException.class,
            () -> asAlice.admin().createTopic("mine", 1).get(60, TimeUnit.SECONDS));
        assertTrue(denied.getCause() instanceof AuthorizationException, String.valueOf(denied.getCause()));
        assertTrue(denied.getCause().getMessage().contains("alice"), denied.getCause().getMessage());

        ExecutionException produceDenied = assertThrows(ExecutionException.class, () -> produce(asAlice, "before-acl"));
        assertTrue(produceDenied.getCause() instanceof AuthorizationException, String.valueOf(produceDenied.getCause()));
        // The producer's first call describes the topic (its partition count): denied, as alice.
        assertTrue(produceDenied.getCause().getMessage().contains("alice may not describe topic orders"),
            produceDenied.getCause().getMessage());

        asRoot.admin().addAcl(new Acl("alice", Acl.ResourceType.TOPIC, "orders", Acl.Operation.PRODUCE))
            .get(60, TimeUnit.SECONDS);
        RecordMetadata written = produce(asAlice, "after-acl");
        assertEquals("orders", written.topic());
        String leader = cluster.awaitLeader(Duration.ofSeconds(30));
        assertEquals(List.of("after-acl"), TestCluster.readAll(cluster.nodes.get(leader), "orders").values().stream()
            .flatMap(List::stream).map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList());
      }
    }
  }

  private static RecordMetadata produce(SluiceClient client, String value) throws Exception {
    try (Producer producer = client.newProducer()) {
      return producer.send(ProducerRecord.builder("orders").partition(0)
          .value(value.getBytes(StandardCharsets.UTF_8)).build()).get(60, TimeUnit.SECONDS);
    }
  }
}
