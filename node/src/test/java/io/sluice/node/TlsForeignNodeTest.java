package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.node.security.DevCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raft between nodes is mutual TLS: a node whose certificate comes from another CA takes no part
 * in replication (the leader's appends to it fail the handshake, and its own requests are
 * refused), while the two nodes that trust each other elect a leader and acknowledge writes.
 */
class TlsForeignNodeTest {
  @TempDir Path root;

  @Test
  void nodeWithACertificateFromAnotherCaCannotJoinRaftTraffic() throws Exception {
    Path certs = root.resolve("certs");
    Path foreign = root.resolve("foreign");
    DevCertificates.writeDev(certs, List.of("n1", "n2", "n3"), List.of(), 30, "alice");
    // n3's certificate and trusted CA come from a CA the others do not know.
    DevCertificates.writeDev(foreign, List.of("n3"), List.of(), 30, "eve");
    try (TestCluster cluster = new TestCluster(root.resolve("data"), 3, java.util.Map.of())) {
      cluster.configs.get("n1").putAll(TlsTest.tlsConfig(certs, "n1", "none"));
      cluster.configs.get("n2").putAll(TlsTest.tlsConfig(certs, "n2", "none"));
      cluster.configs.get("n3").putAll(TlsTest.tlsConfig(foreign, "n3", "none"));
      for (String id : List.of("n1", "n2", "n3")) {
        cluster.startNode(id);
      }
      String leader = cluster.awaitLeader(Duration.ofSeconds(60));
      assertTrue(leader.equals("n1") || leader.equals("n2"), "only n1 and n2 can form a majority, leader " + leader);
      try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.clientAddress("n1") + ","
              + cluster.clientAddress("n2")).requestTimeout(Duration.ofSeconds(5))
          .tlsTrustCertificates(certs.resolve("ca.crt")).build()) {
        client.admin().createTopic("guarded", 1).get(30, TimeUnit.SECONDS);
        List<CompletableFuture<?>> sends = new ArrayList<>();
        try (Producer p = client.newProducer()) {
          for (int i = 0; i < 50; i++) {
            sends.add(p.send(ProducerRecord.of("guarded", ("r" + i).getBytes(StandardCharsets.UTF_8))));
          }
          CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
      }
      SluiceNode n1 = cluster.nodes.get("n1");
      SluiceNode n2 = cluster.nodes.get("n2");
      SluiceNode n3 = cluster.nodes.get("n3");
      TestCluster.await(Duration.ofSeconds(30), "n1 and n2 to apply the writes", () ->
          n1.core().topicView("guarded").isPresent() && n2.core().topicView("guarded").isPresent()
              && TestCluster.readAll(n1, "guarded").get(0).size() == 50
              && TestCluster.readAll(n2, "guarded").get(0).size() == 50);
      // Give the leader time for many append attempts to n3 (heartbeats every few hundred ms).
      Thread.sleep(3000);
      assertTrue(n3.core().topicView("guarded").isEmpty(), "n3 must have received nothing over Raft");
      assertTrue(n3.division().getRaftLog().getNextIndex() <= 1,
          "n3's Raft log stays empty, next index " + n3.division().getRaftLog().getNextIndex());
    }
  }
}
