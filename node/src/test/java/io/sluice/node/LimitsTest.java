package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.ListTopicsRequest;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.api.v1.TopicServiceGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** connections.max, connections.per.ip.max, grpc.connection.calls.max, topics.max and partitions.max on a node. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LimitsTest {
  @TempDir
  Path tmp;

  /** One call on a new connection (a channel's first call opens it): the list of topics, or the failure. */
  static StatusRuntimeException callFails(ManagedChannel ch) {
    try {
      TopicServiceGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .listTopics(ListTopicsRequest.getDefaultInstance());
      return null;
    } catch (StatusRuntimeException e) {
      return e;
    }
  }

  /**
   * The node closes the connection: an HTTP/2 GOAWAY whose debug data names the limit (gRPC reports
   * INTERNAL with that text), or, when the socket closes before the client reads the GOAWAY,
   * UNAVAILABLE "io exception". Either way no call ran, and the node counted the refusal.
   */
  static void assertRefused(StatusRuntimeException e, String limit, SluiceNode node, long refusedBefore) {
    assertTrue(e != null, "the connection over the limit was refused");
    assertTrue(e.getStatus().getCode() == Status.Code.INTERNAL || e.getStatus().getCode() == Status.Code.UNAVAILABLE,
        e.toString());
    assertTrue(e.getStatus().getCode() != Status.Code.INTERNAL || e.getMessage().contains(limit),
        "the error names " + limit + ": " + e);
    assertTrue(node.connectionLimiter().refusedConnections() > refusedBefore, "the node counted the refusal");
  }

  @Test
  void connectionsOverTheNodeAndPerIpLimitsAreClosedAndOthersKeepWorking() throws Exception {
    SluiceNode node = QuotaTest.startNode(tmp.resolve("a"), Map.of("connections.max", "3",
        "connections.per.ip.max", "2"));
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        channels.add(QuotaTest.channel(node));
        assertEquals(null, callFails(channels.get(i)), "connection " + i + " is within the limits");
      }
      assertEquals(2, node.connectionLimiter().openConnections());
      // A third connection from 127.0.0.1 is over connections.per.ip.max: closed before any call runs.
      ManagedChannel third = QuotaTest.channel(node);
      channels.add(third);
      assertRefused(callFails(third), "connections.per.ip.max (2)", node, 0);
      // The connections within the limit are still served.
      assertEquals(null, callFails(channels.get(0)));
      assertEquals(2, node.connectionLimiter().openConnections());
      // Closing one frees its place.
      channels.get(1).shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      TestCluster.await(Duration.ofSeconds(30), "a closed connection released",
          () -> node.connectionLimiter().openConnections() == 1);
      ManagedChannel again = QuotaTest.channel(node);
      channels.add(again);
      assertEquals(null, callFails(again), "a new connection within the limit is served");
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      node.close();
    }
    SluiceNode total = QuotaTest.startNode(tmp.resolve("b"), Map.of("connections.max", "2",
        "connections.per.ip.max", "100"));
    channels.clear();
    try {
      for (int i = 0; i < 2; i++) {
        channels.add(QuotaTest.channel(total));
        assertEquals(null, callFails(channels.get(i)));
      }
      ManagedChannel third = QuotaTest.channel(total);
      channels.add(third);
      assertRefused(callFails(third), "connections.max (2)", total, 0);
      assertEquals(null, callFails(channels.get(1)));
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      total.close();
    }
  }

  /** A Subscribe stream that never reads, holding one call slot of its connection. */
  static final class Idle implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
    ClientCallStreamObserver<SubscribeRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(0);
    }

    @Override
    public void onNext(SubscribeResponse value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }

  @Test
  void callsPerConnectionAreBoundedByGrpcConnectionCallsMax() throws Exception {
    SluiceNode node = QuotaTest.startNode(tmp.resolve("c"), Map.of("grpc.connection.calls.max", "3"));
    ManagedChannel busy = QuotaTest.channel(node);
    ManagedChannel other = QuotaTest.channel(node);
    try {
      TopicServiceGrpc.newBlockingStub(busy).withDeadlineAfter(30, TimeUnit.SECONDS)
          .createTopic(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).build());
      List<Idle> streams = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Idle idle = new Idle();
        FetchServiceGrpc.newStub(busy).subscribe(idle).onNext(SubscribeRequest.newBuilder()
            .addPartitions(PartitionFetch.newBuilder().setTopic("t")).build());
        streams.add(idle);
      }
      TestCluster.await(Duration.ofSeconds(30), "3 streams open", () -> node.fetchService().subscriptionCount() == 3);
      // The connection has 3 calls open: a fourth waits in the client (HTTP/2 MAX_CONCURRENT_STREAMS).
      var fourth = TopicServiceGrpc.newFutureStub(busy).withDeadlineAfter(60, TimeUnit.SECONDS)
          .listTopics(ListTopicsRequest.getDefaultInstance());
      Thread.sleep(2000);
      assertTrue(!fourth.isDone(), "a fourth call on a connection with grpc.connection.calls.max=3 open waits");
      // Another connection is served meanwhile.
      TopicServiceGrpc.newBlockingStub(other).withDeadlineAfter(30, TimeUnit.SECONDS)
          .listTopics(ListTopicsRequest.getDefaultInstance());
      // When one call ends, the waiting one runs.
      streams.get(0).call.onCompleted(); // the server ends the stream in answer
      TestCluster.await(Duration.ofSeconds(30), "the stream ended on the node",
          () -> node.fetchService().subscriptionCount() == 2);
      fourth.get(30, TimeUnit.SECONDS);
    } finally {
      busy.shutdownNow();
      other.shutdownNow();
      node.close();
    }
  }

  @Test
  void topicsMaxAndPartitionsMaxRefuseCreatesWithResourceExhausted() throws Exception {
    SluiceNode node = QuotaTest.startNode(tmp.resolve("d"), Map.of("topics.max", "2", "partitions.max", "5"));
    ManagedChannel ch = QuotaTest.channel(node);
    try {
      var topics = TopicServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      topics.createTopic(CreateTopicRequest.newBuilder().setName("a").setPartitions(2).build());
      BadInputTest.expectError(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_PARTITIONS", () -> topics.createTopic(
          CreateTopicRequest.newBuilder().setName("b").setPartitions(4).build()));
      topics.createTopic(CreateTopicRequest.newBuilder().setName("b").setPartitions(3).build());
      var info = BadInputTest.expectError(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_TOPICS", () -> topics.createTopic(
          CreateTopicRequest.newBuilder().setName("c").setPartitions(1).build()));
      assertEquals(io.sluice.protocol.SluiceErrors.NOT_WRITTEN,
          info.getMetadataOrThrow(io.sluice.protocol.SluiceErrors.WRITE_OUTCOME));
      assertEquals(2, topics.listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsCount());
      // The refusal is the node's: it keeps serving, and a delete makes room again.
      topics.deleteTopic(io.sluice.api.v1.DeleteTopicRequest.newBuilder().setName("a").build());
      topics.createTopic(CreateTopicRequest.newBuilder().setName("c").setPartitions(2).build());
    } finally {
      ch.shutdownNow();
      node.close();
    }
  }
}
