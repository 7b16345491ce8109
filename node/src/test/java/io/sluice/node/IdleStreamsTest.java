package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.protocol.RecordBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow or malicious consumers cannot exhaust the node's memory: thousands of Subscribe streams
 * that never read (some grant huge credit, most none) while a producer writes. The node hands a
 * non-reading stream no more than flow control lets through (it waits for isReady/onReady), refuses
 * streams over subscribe.streams.max with RESOURCE_EXHAUSTED (TOO_MANY_REQUESTS), frees a place
 * when a stream ends, and keeps serving produce and fetch for everyone else.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class IdleStreamsTest {
  @TempDir
  Path tmp;

  private static final int STREAMS_MAX = 2000;
  private static final int GREEDY = 20;
  /** Client connections the streams are spread over (grpc.connection.calls.max is 1000 here). */
  private static final int CONNECTIONS = 20;
  private static final int BATCH_BYTES = 100_000;
  private static final int BATCHES = 200; // 20 MB: without flow control each greedy stream would queue all of it

  /** A stream that never reads: auto inbound flow control off, nothing ever requested. */
  static final class Idle implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    ClientCallStreamObserver<SubscribeRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(0);
    }

    @Override
    public void onNext(SubscribeResponse value) {}

    @Override
    public void onError(Throwable t) {
      ended.complete(t);
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
    }
  }

  static Idle open(ManagedChannel ch, long credit) {
    Idle idle = new Idle();
    StreamObserver<SubscribeRequest> req = FetchServiceGrpc.newStub(ch).subscribe(idle);
    req.onNext(SubscribeRequest.newBuilder().setCreditBytes(credit)
        .addPartitions(PartitionFetch.newBuilder().setTopic("t").setPartition(0).setOffset(0)).build());
    return idle;
  }

  /** Heap in use after a full collection (a few, so that what is unreachable is really gone). */
  static long usedHeapAfterGc() throws InterruptedException {
    java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** Direct memory held by gRPC's (shaded) Netty allocator; 0 if it does not count it. */
  static long nettyDirectBytes() {
    return Math.max(0, io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent.usedDirectMemory());
  }

  @Test
  void thousandsOfStreamsThatNeverReadStayBoundedAndTheNodeKeepsServing() throws Exception {
    try (TestCluster cluster = TestCluster.start(tmp, 1, Map.of("subscribe.streams.max", Integer.toString(STREAMS_MAX),
        "grpc.connection.calls.max", "1000"))) {
      SluiceNode node = cluster.nodes.get(cluster.awaitLeader(Duration.ofSeconds(30)));
      String address = cluster.clientAddress(node.id());
      List<ManagedChannel> channels = new ArrayList<>();
      try {
        for (int i = 0; i < 1 + CONNECTIONS; i++) { // one for the test's own calls, the rest for the streams
          // A small receive window, as a slow client on a slow link would have.
          channels.add(NettyChannelBuilder.forTarget(address).usePlaintext().flowControlWindow(64 * 1024).build());
        }
        ManagedChannel main = channels.get(0);
        TopicServiceGrpc.newBlockingStub(main).withDeadlineAfter(15, TimeUnit.SECONDS)
            .createTopic(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).build());

        long heapBefore = usedHeapAfterGc();
        long directBefore = nettyDirectBytes();
        List<Idle> streams = new ArrayList<>();
        for (int i = 0; i < GREEDY; i++) {
          streams.add(open(channels.get(1), Long.MAX_VALUE / 4)); // all the credit in the world, never reads
        }
        for (int i = GREEDY; i < STREAMS_MAX; i++) {
          streams.add(open(channels.get(1 + i % CONNECTIONS), i % 10 == 0 ? 1 : 0)); // no (or one byte of) credit
        }
        TestCluster.await(Duration.ofSeconds(120), STREAMS_MAX + " streams open on the node",
            () -> node.fetchService().subscriptionCount() == STREAMS_MAX);

        Idle refused = open(channels.get(0), 1 << 20);
        Throwable t = refused.ended.get(30, TimeUnit.SECONDS);
        assertTrue(t instanceof StatusRuntimeException, "refused with a status: " + t);
        BadInputTest.expectError(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_REQUESTS", () -> {
          throw (StatusRuntimeException) t;
        });

        var produce = ProduceServiceGrpc.newBlockingStub(main);
        for (int i = 0; i < BATCHES; i++) {
          byte[] batch = RecordBatch.builder().add(1, null, new byte[BATCH_BYTES], List.of()).build();
          produce.withDeadlineAfter(30, TimeUnit.SECONDS).produce(ProduceRequest.newBuilder().addBatches(
              PartitionBatch.newBuilder().setTopic("t").setPartition(0).setRecords(ByteString.copyFrom(batch))).build());
        }
        // Others are still served: a fetch reads the whole partition's head.
        var fetched = FetchServiceGrpc.newBlockingStub(main).withDeadlineAfter(30, TimeUnit.SECONDS)
            .fetch(FetchRequest.newBuilder().addPartitions(PartitionFetch.newBuilder().setTopic("t").setPartition(0)
                .setOffset(BATCHES - 1)).build());
        assertEquals(1, fetched.getPartitions(0).getBatchesCount(), fetched.toString());
        Thread.sleep(2000); // let every greedy stream push whatever it would

        long sent = node.fetchService().subscribeBytesSent.get();
        System.out.println("IdleStreamsTest: bytes handed to non-reading streams: " + sent);
        long produced = (long) BATCHES * BATCH_BYTES;
        // Each greedy stream: one 1 MiB read in the queue + the client's 64 KiB window + one more read's worth.
        long bound = GREEDY * 3L * (1 << 20) + (STREAMS_MAX / 10) * 2L * BATCH_BYTES;
        assertTrue(sent < bound, "the node handed " + sent + " bytes to streams that never read (bound " + bound
            + "; " + produced + " produced, " + (GREEDY * produced) + " if it ignored flow control)");

        // Memory: heap (after GC) and the transport's direct buffers grew by a bounded amount, not by
        // what the streams were owed. Both ends of every stream live in this JVM, so this also counts
        // the 2000 client calls; without flow control the greedy streams alone would queue 20 x 20 MB.
        long heapGrowth = usedHeapAfterGc() - heapBefore;
        long directGrowth = nettyDirectBytes() - directBefore;
        System.out.printf("IdleStreamsTest: %d streams open; heap after GC grew %d MB, netty direct memory %d MB%n",
            STREAMS_MAX, heapGrowth >> 20, directGrowth >> 20);
        long memoryBound = 256L << 20;
        assertTrue(heapGrowth + directGrowth < memoryBound, "heap grew " + heapGrowth + " and direct memory "
            + directGrowth + " bytes with " + STREAMS_MAX + " non-reading streams (bound " + memoryBound + ")");

        // Ending streams frees their places: a new stream is accepted again.
        for (int i = 0; i < 10; i++) {
          streams.get(i).call.cancel("done", null);
        }
        TestCluster.await(Duration.ofSeconds(30), "cancelled streams released",
            () -> node.fetchService().subscriptionCount() <= STREAMS_MAX - 10);
        Idle again = open(channels.get(0), 0);
        Thread.sleep(500);
        assertTrue(!again.ended.isDone(), "a stream under the limit is served: " + again.ended);
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
      }
    }
  }
}
