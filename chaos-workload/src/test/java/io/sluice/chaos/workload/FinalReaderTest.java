package io.sluice.chaos.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.ListOffsetsResponse;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionOffsets;
import io.sluice.api.v1.PartitionRef;
import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.protocol.RecordBatch;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Final reads against a fake node on loopback: a read that fails (a slow node timing out) is
 * recorded as failed and tried again, so one timeout does not leave the checker without that
 * node's log; a node that never answers is given up on after a bounded number of attempts.
 */
class FinalReaderTest {

  private static final String TOPIC = "t";

  /** A node holding two records in partition 0 whose first {@code failures} fetches fail. */
  private static final class FakeNode extends FetchServiceGrpc.FetchServiceImplBase {
    final AtomicInteger fetchesLeftToFail;
    final AtomicInteger fetches = new AtomicInteger();

    FakeNode(int failures) {
      this.fetchesLeftToFail = new AtomicInteger(failures);
    }

    @Override
    public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> out) {
      ListOffsetsResponse.Builder response = ListOffsetsResponse.newBuilder();
      for (PartitionRef ref : request.getPartitionsList()) {
        response.addPartitions(PartitionOffsets.newBuilder().setTopic(ref.getTopic()).setPartition(ref.getPartition())
            .setLogStartOffset(0).setEndOffset(2));
      }
      out.onNext(response.build());
      out.onCompleted();
    }

    @Override
    public void fetch(FetchRequest request, StreamObserver<FetchResponse> out) {
      fetches.incrementAndGet();
      if (fetchesLeftToFail.getAndDecrement() > 0) {
        out.onError(Status.UNAVAILABLE.withDescription("slow node").asRuntimeException());
        return;
      }
      byte[] batch = RecordBatch.withBaseOffset(RecordBatch.builder()
          .add(1L, bytes("k"), bytes("p0-0"), List.of())
          .add(1L, bytes("k"), bytes("p0-1"), List.of())
          .build(), 0);
      out.onNext(FetchResponse.newBuilder().addPartitions(PartitionData.newBuilder().setTopic(TOPIC)
          .setPartition(request.getPartitions(0).getPartition()).addBatches(ByteString.copyFrom(batch))).build());
      out.onCompleted();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static List<Event> readAll(FakeNode node) throws Exception {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(node).build().start();
    HistoryWriter history = HistoryWriter.inMemory();
    WorkloadConfig config = WorkloadConfig.builder("127.0.0.1:" + server.getPort()).topic(TOPIC).partitions(1)
        .requestTimeout(Duration.ofSeconds(5)).build();
    try (NodeChannels channels = new NodeChannels()) {
      new FinalReader(history, channels, config).readAll(Map.of("n1", "127.0.0.1:" + server.getPort()),
          Duration.ofSeconds(10));
    } finally {
      server.shutdownNow().awaitTermination();
    }
    return history.events().stream().filter(e -> e.f() == OpFunction.FINAL_READ && e.type() != OpType.INVOKE).toList();
  }

  @Test
  void aFinalReadThatFailsIsRecordedAndTriedAgain() throws Exception {
    List<Event> completions = readAll(new FakeNode(2));
    assertEquals(List.of(OpType.FAIL, OpType.FAIL, OpType.OK), completions.stream().map(Event::type).toList());
    assertTrue(completions.get(0).error().contains("slow node"), completions.get(0).error());
    OpValue.FinalRead read = (OpValue.FinalRead) completions.get(2).value();
    assertEquals(List.of("p0-0", "p0-1"), read.reads().stream().map(OpValue.Read::value).toList());
  }

  @Test
  void aNodeThatNeverAnswersIsGivenUpOnAfterABoundedNumberOfAttempts() throws Exception {
    FakeNode node = new FakeNode(Integer.MAX_VALUE);
    List<Event> completions = readAll(node);
    assertEquals(FinalReader.ATTEMPTS_MAX, completions.size());
    assertTrue(completions.stream().allMatch(e -> e.type() == OpType.FAIL));
    assertEquals(FinalReader.ATTEMPTS_MAX, node.fetches.get());
  }
}
