package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.client.Acl;
import io.sluice.client.CreatedToken;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.internal.BearerToken;
import io.sluice.node.security.Authenticator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node added after the log was purged catches up from an installed snapshot; the tokens and
 * ACLs arrive with it (they are RocksDB state, so in the checkpoint), as hashes only.
 */
class AuthSnapshotInstallTest {
  private static final String ADMIN_SECRET = "bootstrap-secret-0123456789abcdef0123456789";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;

  @Test
  void tokensAndAclsReachANodeThatCatchesUpFromASnapshot() throws Exception {
    Path tokenFile = tmp.resolve("admin.token");
    Files.writeString(tokenFile, ADMIN_SECRET);
    try (TestCluster c = TestCluster.start(tmp.resolve("c"), 3, Map.of(
            "auth.enabled", "true",
            "auth.bootstrap.token.file", tokenFile.toString(),
            "raft.snapshot.threshold.entries", "40",
            "raft.log.purge.gap.entries", "5",
            "raft.log.segment.bytes.max", "16384"));
        SluiceClient admin = SluiceClient.builder().bootstrap(c.bootstrap()).token(ADMIN_SECRET)
            .requestTimeout(Duration.ofSeconds(30)).build()) {
      admin.admin().createTopic("orders", 1).get(30, TimeUnit.SECONDS);
      CreatedToken frank = admin.admin().createToken("frank", "before the snapshot").get(30, TimeUnit.SECONDS);
      admin.admin().addAcl(new Acl("frank", Acl.ResourceType.TOPIC, "orders", Acl.Operation.DESCRIBE))
          .get(30, TimeUnit.SECONDS);
      // Enough entries for a snapshot and a purge of the log's start.
      try (var producer = admin.newProducer()) {
        for (int i = 0; i < 120; i++) {
          // 1 KiB each: the log must fill several 16 KiB segments, since purging drops whole segments.
          producer.send(ProducerRecord.of("orders", ("r" + i + "-" + "x".repeat(1024)).getBytes(StandardCharsets.UTF_8)))
              .get(30, TimeUnit.SECONDS);
        }
      }
      SluiceNode leader = c.currentLeader();
      TestCluster.await(WAIT, "the leader to purge the start of its log", () ->
          leader.division().getRaftLog().getStartIndex() > 1);

      String raftAddress = c.configureJoiner("n4");
      SluiceNode joiner = c.startNode("n4");
      admin.admin().addNode("n4", raftAddress).get(120, TimeUnit.SECONDS);
      assertTrue(joiner.stateMachine().latestSnapshotIndex() > 0, "n4 caught up from a snapshot");
      byte[] sha = Authenticator.sha256(frank.secret());
      TestCluster.await(WAIT, "frank's token and ACL on n4", () -> joiner.core().tokenByHash(sha).isPresent()
          && joiner.core().acls().stream().anyMatch(a -> a.getPrincipal().equals("frank")));
      ManagedChannel ch = NettyChannelBuilder.forAddress(joiner.clientAddress().host(), joiner.clientAddress().port())
          .usePlaintext().build();
      try {
        assertEquals("orders", TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(new BearerToken(frank.secret()))
            .withDeadlineAfter(10, TimeUnit.SECONDS).describeTopic(DescribeTopicRequest.newBuilder().setName("orders")
                .build()).getName());
      } finally {
        ch.shutdownNow();
      }
      byte[] needle = frank.secret().getBytes(StandardCharsets.UTF_8);
      for (Path f : TestCluster.regularFiles(c.root.resolve("n4"))) {
        byte[] bytes;
        try {
          bytes = Files.readAllBytes(f);
        } catch (java.io.IOException e) {
          continue;
        }
        assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains(frank.secret()),
            "the secret is stored in " + f + " (" + needle.length + " bytes)");
      }
    }
  }
}
