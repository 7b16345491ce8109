package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.protocol.RecordBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Raft log segment damaged on one stopped node (bytes flipped in the middle of a closed
 * segment, where Ratis cannot mistake it for a torn tail), with {@code storage.damage.recovery=manual}.
 * Found: Ratis's per-entry CRC catches it and the server fails to start with a CompletionException
 * three causes deep. Now: the node refuses to start with an IOException saying its storage is
 * damaged and how to recover by hand, leaves its storage where it is (nothing moved, no recovery
 * marker), and the others keep serving. The automatic recovery (the default) is
 * {@link StorageRecoveryTest}.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CorruptLogTest {
  @TempDir
  Path tmp;

  @Test
  void aFlippedByteInAClosedSegmentIsRefusedAtStartAndTheOthersKeepServing() throws Exception {
    // Small segments so that the data spans several closed ones.
    try (TestCluster cluster = TestCluster.start(tmp, 3, Map.of("raft.log.segment.bytes.max", "65536",
        "raft.snapshot.threshold.entries", "1000000", "storage.damage.recovery", "manual"))) {
      String leader = cluster.awaitLeader(Duration.ofSeconds(30));
      ManagedChannel ch = NettyChannelBuilder.forTarget(cluster.clientAddress(leader)).usePlaintext().build();
      try {
        TopicServiceGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS)
            .createTopic(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).build());
        for (int i = 0; i < 60; i++) {
          byte[] batch = RecordBatch.builder().add(1, null, ("v" + i + "x".repeat(4000)).getBytes(StandardCharsets.UTF_8),
              List.of()).build();
          ProduceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS).produce(ProduceRequest.newBuilder()
              .addBatches(PartitionBatch.newBuilder().setTopic("t").setPartition(0).setRecords(ByteString.copyFrom(batch)))
              .build());
        }
      } finally {
        ch.shutdownNow();
      }
      String victim = cluster.nodes.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
      cluster.awaitConverged(Duration.ofSeconds(60));
      cluster.stop(victim); // a stopped node (kill races RocksDB's file lock with the restart below)
      Path segment;
      try (Stream<Path> walk = Files.walk(tmp.resolve(victim))) {
        segment = walk.filter(p -> p.getFileName().toString().matches("log_\\d+-\\d+")).sorted().findFirst()
            .orElseThrow(() -> new AssertionError("no closed segment under " + tmp.resolve(victim)));
      }
      byte[] bytes = Files.readAllBytes(segment);
      bytes[bytes.length / 2] ^= 0x5a;
      Files.write(segment, bytes);
      System.out.println("CorruptLogTest: flipped byte " + bytes.length / 2 + " of " + segment);
      IOException e = assertThrows(IOException.class, () -> cluster.startNode(victim));
      System.out.println("CorruptLogTest: restart refused: " + e);
      assertTrue(e.getMessage().contains("refuses to start") && e.getMessage().contains("damaged")
          && e.getMessage().contains("checksum") && e.getMessage().contains("add-node"), e.getMessage());
      assertFalse(cluster.nodes.containsKey(victim));
      assertTrue(Files.exists(segment), "manual: the damaged storage stays where it was");
      assertFalse(Files.exists(tmp.resolve(victim).resolve(StorageRecovery.MARKER)), "manual: no recovery started");
      try (Stream<Path> list = Files.list(tmp.resolve(victim))) {
        assertTrue(list.noneMatch(p -> p.getFileName().toString().startsWith(StorageRecovery.DAMAGED_PREFIX)));
      }
      // Refused again on the next start: the damage is not forgotten.
      assertThrows(IOException.class, () -> cluster.startNode(victim));
      // The others keep serving.
      assertEquals(2, cluster.nodes.size());
      cluster.awaitLeader(Duration.ofSeconds(30));

    }
  }
}
