package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.protocol.RecordBatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client port's transport limits (grpc.inbound.message.bytes.max, grpc.inbound.metadata.bytes.max):
 * a request over the node's own request limit but within the transport's gets the typed
 * RECORD_TOO_LARGE; a message over the transport limit, or oversized headers, are refused with a
 * clear status before being buffered; and the node, and the very same connection, keep serving.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GrpcLimitsTest {
  @TempDir
  static Path tmp;
  static TestCluster cluster;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(tmp, 1, Map.of("request.bytes.max", "100000", "grpc.inbound.message.bytes.max", "200000",
        "grpc.inbound.metadata.bytes.max", "4096"));
    String leader = cluster.clientAddress(cluster.awaitLeader(Duration.ofSeconds(30)));
    channel = NettyChannelBuilder.forTarget(leader).usePlaintext().build();
    io.sluice.api.v1.TopicServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.SECONDS)
        .createTopic(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).build());
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    cluster.close();
  }

  static ProduceServiceGrpc.ProduceServiceBlockingStub produce() {
    return ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  static byte[] batchOf(int valueBytes) {
    return RecordBatch.builder().add(1, null, new byte[valueBytes], List.of()).build();
  }

  static void stillServing() {
    ProduceResponse ok = produce().produce(BadInputTest.request("t", 0, batchOf(10)));
    assertEquals(1, ok.getResultsCount());
  }

  @Test
  void overTheRequestLimitButWithinTheTransportIsATypedRefusal() {
    BadInputTest.expectError(Status.Code.INVALID_ARGUMENT, "RECORD_TOO_LARGE",
        () -> produce().produce(BadInputTest.request("t", 0, batchOf(150_000))));
    stillServing();
  }

  @Test
  void overTheTransportLimitIsRefusedBeforeItIsReadAndTheConnectionKeepsServing() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> produce().produce(BadInputTest.request("t", 0, batchOf(1_000_000))));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
    assertTrue(e.getStatus().getDescription().contains("200000"), "names the limit: " + e.getStatus());
    stillServing();
  }

  @Test
  void oversizedHeadersFailThatCallOnly() {
    Metadata huge = new Metadata();
    huge.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "p".repeat(20_000));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> produce()
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(huge))
        .produce(BadInputTest.request("t", 0, batchOf(10))));
    assertNotEquals(Status.Code.OK, e.getStatus().getCode());
    stillServing();
  }

  @Test
  void aTransportLimitBelowTheRequestLimitIsRefusedAtStart() {
    Map<String, String> c = new HashMap<>(Map.of("node.id", "n1", "data.dir", tmp.resolve("x").toString(),
        "peers", "n1=127.0.0.1:7170", "request.bytes.max", "100000", "grpc.inbound.message.bytes.max", "99999"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NodeConfig.of(c));
    assertTrue(e.getMessage().contains("grpc.inbound.message.bytes.max"), e.getMessage());
    c.remove("grpc.inbound.message.bytes.max");
    assertEquals(100000 + (1 << 20), NodeConfig.of(c).grpcInboundMessageBytesMax());
  }
}
