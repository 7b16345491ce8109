package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit on the leader: concurrent produce requests share Raft entries, and each keeps its
 * own result — a request that fails (at validation or at apply) fails alone, its neighbours are
 * written, acknowledged once, at dense offsets, identically on every replica.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GroupCommitTest {
  @TempDir
  Path tmp;

  private static final int REQUESTS = 300;

  @Test
  void mergedRequestsKeepTheirOwnResults() throws Exception {
    // One entry in flight: every request arriving meanwhile waits and is merged.
    try (TestCluster cluster = TestCluster.start(tmp, 3, Map.of(
        NodeConfig.GROUP_COMMIT_ENTRIES_IN_FLIGHT_MAX.name(), "1",
        "commit.timeout.ms", "20000"))) {
      String leaderId = cluster.awaitLeader(Duration.ofSeconds(30));
      ManagedChannel channel = NettyChannelBuilder.forTarget(cluster.clientAddress(leaderId)).usePlaintext().build();
      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        TopicServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.SECONDS)
            .createTopic(CreateTopicRequest.newBuilder().setName("gc").setPartitions(3).build());
        SluiceNode leader = cluster.currentLeader();
        long[] before = leader.groupCommit().counts();

        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
          ProduceRequest request = request(i);
          results.add(CompletableFuture.supplyAsync(() -> {
            try {
              return ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                  .produce(request);
            } catch (StatusRuntimeException e) {
              return e;
            }
          }, pool));
        }

        Set<String> acknowledged = new HashSet<>();
        for (int i = 0; i < REQUESTS; i++) {
          Object r = results.get(i).get(90, TimeUnit.SECONDS);
          if (i % 10 == 3) {
            assertEquals("UNKNOWN_PRODUCER_ID", reason(r), "request " + i + " (unknown producer id) got " + r);
          } else if (i % 10 == 7) {
            assertEquals("CORRUPT_BATCH", reason(r), "request " + i + " (bad CRC) got " + r);
          } else {
            assertTrue(r instanceof ProduceResponse, "request " + i + " should be written, got " + r);
            acknowledged.add("r" + i);
          }
        }

        long[] after = leader.groupCommit().counts();
        long entries = after[0] - before[0];
        long requests = after[1] - before[1];
        // Corrupt requests are refused before they wait; only one proposed at once may count here.
        assertTrue(requests >= REQUESTS - REQUESTS / 10, "requests proposed: " + requests);
        assertTrue(entries < requests, "requests were merged: " + requests + " requests in " + entries + " entries");

        cluster.assertReplicasIdentical();
        Set<String> stored = new HashSet<>();
        for (List<Record> partition : TestCluster.readAll(leader, "gc").values()) {
          for (int o = 0; o < partition.size(); o++) {
            assertEquals(o, partition.get(o).offset(), "offsets are dense");
            assertTrue(stored.add(new String(partition.get(o).value(), StandardCharsets.UTF_8)), "stored once");
          }
        }
        assertEquals(acknowledged, stored, "exactly the acknowledged requests are stored");
      } finally {
        pool.shutdownNow();
        channel.shutdownNow();
      }
    }
  }

  /** Request i: one record "r{i}"; every 10th+3 names an unknown producer id, every 10th+7 has a bad CRC. */
  private static ProduceRequest request(int i) {
    RecordBatch.Builder b = RecordBatch.builder();
    if (i % 10 == 3) {
      b.producer(999_999, (short) 0, 0);
    }
    b.add(0, null, ("r" + i).getBytes(StandardCharsets.UTF_8), List.of());
    byte[] bytes = b.build();
    if (i % 10 == 7) {
      bytes[bytes.length - 1] ^= 1;
    }
    return ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder()
        .setTopic("gc").setPartition(i % 3).setRecords(ByteString.copyFrom(bytes))).build();
  }

  private static String reason(Object r) {
    if (!(r instanceof StatusRuntimeException e)) {
      return "no error: " + r;
    }
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    if (status == null) {
      return "no details: " + e;
    }
    for (com.google.protobuf.Any d : status.getDetailsList()) {
      if (d.is(ErrorInfo.class)) {
        try {
          return d.unpack(ErrorInfo.class).getReason();
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
      }
    }
    return "no ErrorInfo: " + e;
  }
}
