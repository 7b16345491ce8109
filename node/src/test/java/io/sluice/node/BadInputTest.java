package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of bad input gets a clear status with the documented reason, changes nothing that
 * was acknowledged, and leaves the node serving everyone else. Talks raw gRPC, so these test the
 * server's contract, not the SDK's early checks.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BadInputTest {
  @TempDir
  static Path tmp;
  static TestCluster cluster;
  static final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.start(tmp, 3, Map.of("record.bytes.max", "10000", "batch.bytes.max", "50000",
        "topic.partitions.max", "64"));
    topics(leaderAddress()).createTopic(CreateTopicRequest.newBuilder().setName("good").setPartitions(2).build());
  }

  @AfterAll
  static void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  static String leaderAddress() {
    return cluster.clientAddress(cluster.awaitLeader(Duration.ofSeconds(30)));
  }

  static ManagedChannel channel(String address) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(address).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  static ProduceServiceGrpc.ProduceServiceBlockingStub produce(String address) {
    return ProduceServiceGrpc.newBlockingStub(channel(address)).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  static FetchServiceGrpc.FetchServiceBlockingStub fetch(String address) {
    return FetchServiceGrpc.newBlockingStub(channel(address)).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  static TopicServiceGrpc.TopicServiceBlockingStub topics(String address) {
    return TopicServiceGrpc.newBlockingStub(channel(address)).withDeadlineAfter(15, TimeUnit.SECONDS);
  }

  static ErrorInfo expectError(Status.Code code, String reason, Supplier<?> call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    ErrorInfo info = StatusProto.fromThrowable(e).getDetailsList().stream()
        .filter(a -> a.is(ErrorInfo.class))
        .map(a -> {
          try {
            return a.unpack(ErrorInfo.class);
          } catch (Exception x) {
            throw new AssertionError(x);
          }
        })
        .findFirst().orElseThrow(() -> new AssertionError("no ErrorInfo in " + e));
    assertEquals(reason, info.getReason(), e.toString());
    assertEquals(SluiceErrors.DOMAIN, info.getDomain());
    assertTrue(e.getStatus().getDescription() != null && e.getStatus().getDescription().length() > 10,
        "a message a person can act on: " + e.getStatus().getDescription());
    return info;
  }

  static byte[] batch(String... values) {
    RecordBatch.Builder b = RecordBatch.builder();
    for (String v : values) {
      b.add(System.currentTimeMillis(), null, v.getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  static ProduceRequest request(String topic, int partition, byte[] batch) {
    return ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder()
        .setTopic(topic).setPartition(partition).setRecords(ByteString.copyFrom(batch))).build();
  }

  static long endOffset(String topic, int partition) {
    return topics(leaderAddress()).describeTopic(DescribeTopicRequest.newBuilder().setName(topic).build())
        .getPartitions(partition).getEndOffset();
  }

  @Test
  void unknownTopic() {
    String leader = leaderAddress();
    expectError(Status.Code.NOT_FOUND, "UNKNOWN_TOPIC", () -> produce(leader).produce(request("nope", 0, batch("x"))));
    expectError(Status.Code.NOT_FOUND, "UNKNOWN_TOPIC", () -> fetch(leader).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionFetch.newBuilder().setTopic("nope")).build()));
    expectError(Status.Code.NOT_FOUND, "UNKNOWN_TOPIC", () -> topics(leader).describeTopic(
        DescribeTopicRequest.newBuilder().setName("nope").build()));
  }

  @Test
  void invalidTopicNames() {
    String leader = leaderAddress();
    for (String name : List.of("", "x".repeat(250), "has space", "slash/no", "ünïcode")) {
      ErrorInfo info = expectError(Status.Code.INVALID_ARGUMENT, "INVALID_TOPIC_NAME", () -> topics(leader)
          .createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(1).build()));
      assertEquals(SluiceErrors.NOT_WRITTEN, info.getMetadataOrThrow(SluiceErrors.WRITE_OUTCOME));
    }
    topics(leader).createTopic(CreateTopicRequest.newBuilder().setName("y".repeat(249)).setPartitions(1).build());
  }

  @Test
  void partitionCounts() {
    String leader = leaderAddress();
    for (int n : new int[] {0, -1, 65}) {
      expectError(Status.Code.INVALID_ARGUMENT, "INVALID_PARTITION_COUNT", () -> topics(leader)
          .createTopic(CreateTopicRequest.newBuilder().setName("pc" + Math.abs(n)).setPartitions(n).build()));
    }
    topics(leader).createTopic(CreateTopicRequest.newBuilder().setName("pc64").setPartitions(64).build());
    expectError(Status.Code.ALREADY_EXISTS, "TOPIC_EXISTS", () -> topics(leader)
        .createTopic(CreateTopicRequest.newBuilder().setName("pc64").setPartitions(1).build()));
  }

  @Test
  void partitionOutOfRange() {
    String leader = leaderAddress();
    expectError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_PARTITION", () -> produce(leader).produce(request("good", 2, batch("x"))));
    expectError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_PARTITION", () -> produce(leader).produce(request("good", -1, batch("x"))));
    expectError(Status.Code.INVALID_ARGUMENT, "UNKNOWN_PARTITION", () -> fetch(leader).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionFetch.newBuilder().setTopic("good").setPartition(7)).build()));
  }

  @Test
  void negativeOffsetIsAnErrorAndPastTheEndIsEmpty() {
    String leader = leaderAddress();
    produce(leader).produce(request("good", 1, batch("a", "b")));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_OFFSET", () -> fetch(leader).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionFetch.newBuilder().setTopic("good").setPartition(1).setOffset(-1)).build()));
    long end = endOffset("good", 1);
    FetchResponse r = fetch(leader).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionFetch.newBuilder().setTopic("good").setPartition(1).setOffset(end + 1000)).build());
    assertEquals(0, r.getPartitions(0).getBatchesCount());
    assertEquals(end, r.getPartitions(0).getEndOffset(), "the empty result carries the current end offset");
  }

  @Test
  void oversizedRecordsAndBatches() {
    String leader = leaderAddress();
    long before = endOffset("good", 0);
    RecordBatch.Builder big = RecordBatch.builder().add(1, null, new byte[20_000], List.of());
    expectError(Status.Code.INVALID_ARGUMENT, "RECORD_TOO_LARGE", () -> produce(leader).produce(request("good", 0, big.build())));
    RecordBatch.Builder many = RecordBatch.builder();
    for (int i = 0; i < 10; i++) {
      many.add(1, null, new byte[9_000], List.of());
    }
    expectError(Status.Code.INVALID_ARGUMENT, "RECORD_TOO_LARGE", () -> produce(leader).produce(request("good", 0, many.build())));
    assertEquals(before, endOffset("good", 0), "nothing was written");
  }

  @Test
  void badCrcIsRejectedAndNothingIsWritten() {
    String leader = leaderAddress();
    long before = endOffset("good", 0);
    byte[] b = batch("payload-one", "payload-two");
    b[b.length - 3] ^= 0x55;
    expectError(Status.Code.INVALID_ARGUMENT, "CORRUPT_BATCH", () -> produce(leader).produce(request("good", 0, b)));
    expectError(Status.Code.INVALID_ARGUMENT, "CORRUPT_BATCH", () -> produce(leader).produce(request("good", 0, new byte[5])));
    assertEquals(before, endOffset("good", 0));
  }

  @Test
  void followerAnswersNotLeaderWithTheLeadersAddress() {
    String leaderId = cluster.awaitLeader(Duration.ofSeconds(30));
    String follower = cluster.nodes.keySet().stream().filter(id -> !id.equals(leaderId)).findFirst().orElseThrow();
    ErrorInfo info = expectError(Status.Code.FAILED_PRECONDITION, "NOT_LEADER",
        () -> produce(cluster.clientAddress(follower)).produce(request("good", 0, batch("x"))));
    assertEquals(leaderId, info.getMetadataOrThrow(SluiceErrors.LEADER_ID));
    assertEquals(cluster.clientAddress(leaderId), info.getMetadataOrThrow(SluiceErrors.LEADER_ADDRESS));
    assertEquals(SluiceErrors.NOT_WRITTEN, info.getMetadataOrThrow(SluiceErrors.WRITE_OUTCOME));
  }

  @Test
  void garbageOnTheClientAndRaftPortsLeavesTheNodeServing() throws Exception {
    String leaderId = cluster.awaitLeader(Duration.ofSeconds(30));
    Random random = new Random(1234);
    for (SluiceNode node : cluster.nodes.values()) {
      for (String address : List.of(cluster.clientAddress(node.id()), cluster.configs.get(node.id()).get("raft.listen"))) {
        HostPort hp = HostPort.parse(address, "test");
        for (int i = 0; i < 3; i++) {
          try (Socket s = new Socket(hp.host(), hp.port())) {
            s.setSoTimeout(2000);
            byte[] junk = new byte[4096];
            random.nextBytes(junk);
            OutputStream out = s.getOutputStream();
            out.write(i == 0 ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII) : junk);
            out.flush();
            try {
              s.getInputStream().read(new byte[1024]);
            } catch (java.io.IOException ignored) {
              // the server hanging up on garbage is fine
            }
          }
        }
      }
    }
    String leader = cluster.clientAddress(cluster.awaitLeader(Duration.ofSeconds(30)));
    long before = endOffset("good", 0);
    ProduceResponse ok = produce(leader).produce(request("good", 0, batch("after-garbage")));
    assertEquals(before, ok.getResults(0).getBaseOffset());
    assertEquals(leaderId, cluster.awaitLeader(Duration.ofSeconds(30)), "garbage did not cost the leader its role");
  }

  @Test
  void fullDiskRefusesWritesKeepsReadsAndRecovers() {
    String leaderId = cluster.awaitLeader(Duration.ofSeconds(30));
    String leader = cluster.clientAddress(leaderId);
    produce(leader).produce(request("good", 0, batch("before-full")));
    long end = endOffset("good", 0);
    cluster.freeBytes.get(leaderId).set(1024);
    try {
      ErrorInfo info = expectError(Status.Code.RESOURCE_EXHAUSTED, "DISK_FULL",
          () -> produce(leader).produce(request("good", 0, batch("while-full"))));
      assertEquals(SluiceErrors.NOT_WRITTEN, info.getMetadataOrThrow(SluiceErrors.WRITE_OUTCOME));
      FetchResponse r = fetch(leader).fetch(FetchRequest.newBuilder()
          .addPartitions(PartitionFetch.newBuilder().setTopic("good").setPartition(0).setOffset(0)).build());
      assertEquals(end, r.getPartitions(0).getEndOffset(), "reads still work and nothing was lost");
      assertTrue(r.getPartitions(0).getBatchesCount() > 0);
    } finally {
      cluster.freeBytes.get(leaderId).set(Long.MAX_VALUE);
    }
    ProduceResponse ok = produce(leader).produce(request("good", 0, batch("after-full")));
    assertEquals(end, ok.getResults(0).getBaseOffset(), "writes resume where they stopped");
  }

  @Test
  void emptyAndDuplicateBatchRequests() {
    String leader = leaderAddress();
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", () -> produce(leader).produce(ProduceRequest.getDefaultInstance()));
    ProduceRequest twice = ProduceRequest.newBuilder()
        .addBatches(request("good", 0, batch("a")).getBatches(0))
        .addBatches(request("good", 0, batch("b")).getBatches(0)).build();
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", () -> produce(leader).produce(twice));
    expectError(Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", () -> fetch(leader).fetch(FetchRequest.getDefaultInstance()));
  }
}
