package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.PartitionRef;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.client.SluiceClient;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Read-your-writes from followers with the produce response's token; linearizable end offsets. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsistentReadsTest {
  @TempDir
  Path tmp;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  private ManagedChannel channel(String address) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  /**
   * Produces one record to whichever node leads, as a client would: a refusal that says the
   * record was certainly not written (NOT_LEADER, NO_LEADER while an election under load runs) is
   * sent again to the node that leads then. Any other failure fails the test.
   */
  private ProduceResponse produce(TestCluster c, String value) throws InterruptedException {
    byte[] batch = RecordBatch.builder().add(System.currentTimeMillis(), null,
        value.getBytes(StandardCharsets.UTF_8), List.of()).build();
    ProduceRequest request = ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder()
        .setTopic("r").setPartition(0).setRecords(ByteString.copyFrom(batch))).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String leader = c.clientAddress(c.awaitLeader(Duration.ofSeconds(60)));
      try {
        return ProduceServiceGrpc.newBlockingStub(channel(leader)).withDeadlineAfter(30, TimeUnit.SECONDS)
            .produce(request);
      } catch (StatusRuntimeException e) {
        if (!ErrorDetails.leadershipMoved(e) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  private FetchResponse fetch(String node, long offset, long token, int maxWaitMs) {
    return FetchServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(20, TimeUnit.SECONDS)
        .fetch(FetchRequest.newBuilder().setMinAppliedIndex(token).setMaxWaitMs(maxWaitMs)
            .addPartitions(PartitionFetch.newBuilder().setTopic("r").setPartition(0).setOffset(offset)).build());
  }

  /**
   * A linearizable end offset from {@code node}; asked again while no leader can confirm the read
   * (UNAVAILABLE: an election under load), as a client would. The answer itself is not relaxed.
   */
  private long linearizableEnd(String node, ListOffsetsRequest q) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return FetchServiceGrpc.newBlockingStub(channel(node)).withDeadlineAfter(20, TimeUnit.SECONDS)
            .listOffsets(q).getPartitions(0).getEndOffset();
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  /** Creates topic "r" through the SDK, which finds the leader (and waits out an election). */
  private static void createTopic(TestCluster c) throws Exception {
    try (SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).build()) {
      client.admin().createTopic("r", 1).get(60, TimeUnit.SECONDS);
    }
  }

  private static boolean holds(FetchResponse r, long offset) {
    return r.getPartitions(0).getBatchesList().stream().anyMatch(b -> {
      var buf = b.asReadOnlyByteBuffer();
      return RecordBatch.baseOffset(buf) <= offset && offset <= RecordBatch.lastOffset(buf);
    });
  }

  @Test
  void aFollowerServesYourWritesOnceItHasAppliedTheToken() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of())) {
      String leaderId = c.awaitLeader(Duration.ofSeconds(30));
      String followerId = c.nodes.keySet().stream().filter(id -> !id.equals(leaderId)).findFirst().orElseThrow();
      String follower = c.clientAddress(followerId);
      createTopic(c);

      for (int i = 0; i < 100; i++) {
        ProduceResponse p = produce(c, "w" + i);
        long offset = p.getResults(0).getBaseOffset();
        assertTrue(holds(fetch(follower, offset, p.getCommitIndex(), 0), offset),
            "the follower returned offset " + offset + " it was asked to wait for");
      }

      // A follower restarting from disk is behind: the token makes it wait until it has caught up.
      c.kill(followerId);
      ProduceResponse last = null;
      for (int i = 0; i < 50; i++) {
        last = produce(c, "while-down-" + i);
      }
      c.startNode(followerId);
      long offset = last.getResults(0).getBaseOffset();
      assertTrue(holds(fetch(follower, offset, last.getCommitIndex(), 0), offset),
          "the restarted follower waited for the token before answering");

      // A token the cluster has not reached: a bounded wait, then UNAVAILABLE / NOT_CAUGHT_UP.
      long start = System.nanoTime();
      long unreached = last.getCommitIndex() + 1_000_000;
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> fetch(follower, 0, unreached, 500));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("not yet the requested"), e.getStatus().getDescription());
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 10_000, "the wait is bounded");
    }
  }

  @Test
  void linearizableEndOffsetsFromAFollowerIncludeEveryAcknowledgedWrite() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of())) {
      String leaderId = c.awaitLeader(Duration.ofSeconds(30));
      List<String> followers = c.nodes.keySet().stream().filter(id -> !id.equals(leaderId)).toList();
      String follower = c.clientAddress(followers.get(0));
      createTopic(c);
      ListOffsetsRequest q = ListOffsetsRequest.newBuilder().setLinearizable(true)
          .addPartitions(PartitionRef.newBuilder().setTopic("r").setPartition(0)).build();
      for (int i = 0; i < 100; i++) {
        long offset = produce(c, "l" + i).getResults(0).getBaseOffset();
        long end = linearizableEnd(follower, q);
        assertTrue(end > offset, "linearizable end offset " + end + " misses acknowledged offset " + offset);
      }
      // Without a majority no leader can confirm a read index: UNAVAILABLE, in bounded time.
      c.kill(leaderId);
      c.kill(followers.get(1));
      long start = System.nanoTime();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> FetchServiceGrpc
          .newBlockingStub(channel(follower)).withDeadlineAfter(30, TimeUnit.SECONDS).listOffsets(q));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 25_000, "bounded");
    }
  }
}
