package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.AclEntry;
import io.sluice.api.v1.AclOperation;
import io.sluice.api.v1.AclResourceType;
import io.sluice.api.v1.AddAclRequest;
import io.sluice.api.v1.AddNodeRequest;
import io.sluice.api.v1.AdminServiceGrpc;
import io.sluice.api.v1.AlterTopicConfigRequest;
import io.sluice.api.v1.AuthServiceGrpc;
import io.sluice.api.v1.ClusterServiceGrpc;
import io.sluice.api.v1.CommitOffsetsRequest;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.CreateTokenRequest;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.DeleteGroupRequest;
import io.sluice.api.v1.DeleteTopicRequest;
import io.sluice.api.v1.DescribeClusterRequest;
import io.sluice.api.v1.DescribeGroupRequest;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.FetchOffsetsRequest;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.GetNodeStatusRequest;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.api.v1.GroupServiceGrpc;
import io.sluice.api.v1.HeartbeatRequest;
import io.sluice.api.v1.InitProducerRequest;
import io.sluice.api.v1.JoinGroupRequest;
import io.sluice.api.v1.LeaveGroupRequest;
import io.sluice.api.v1.ListAclsRequest;
import io.sluice.api.v1.ListGroupsRequest;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.ListTokensRequest;
import io.sluice.api.v1.ListTopicsRequest;
import io.sluice.api.v1.OffsetResetMode;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.PartitionRef;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.RemoveAclRequest;
import io.sluice.api.v1.RemoveNodeRequest;
import io.sluice.api.v1.ResetOffsetsRequest;
import io.sluice.api.v1.RevokeTokenRequest;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.api.v1.TakeSnapshotRequest;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.api.v1.TransferLeaderRequest;
import io.sluice.client.Acl;
import io.sluice.client.AuthenticationException;
import io.sluice.client.AuthorizationException;
import io.sluice.client.CreatedToken;
import io.sluice.client.SluiceClient;
import io.sluice.client.internal.BearerToken;
import io.sluice.node.security.AuthorizationInterceptor;
import io.sluice.protocol.RecordBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Authentication and ACLs on a 3-node cluster with auth.enabled: every RPC is denied without its
 * ACL and allowed with it; prefix and `*` rules; the bootstrap admin; tokens on every node, revoked
 * everywhere and mid-stream; durability across restarts and snapshots (hash only on disk); audit
 * lines and denial metrics. One cluster for the class: each case uses principals of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthTest {
  private static final String ADMIN_SECRET = "bootstrap-secret-0123456789abcdef0123456789";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private Path root;
  private TestCluster cluster;
  private Path auditFile;
  private SluiceClient admin;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  void startCluster(@TempDir Path dir) throws Exception {
    root = dir;
    Path tokenFile = root.resolve("admin.token");
    Files.writeString(tokenFile, ADMIN_SECRET + "\n");
    auditFile = root.resolve("audit.log");
    cluster = TestCluster.start(root.resolve("cluster"), 3, Map.of(
        "auth.enabled", "true",
        "auth.bootstrap.admin", "root",
        "auth.bootstrap.token.file", tokenFile.toString(),
        "auth.recheck.interval.ms", "200",
        "audit.file", auditFile.toString()));
    admin = SluiceClient.builder().bootstrap(bootstrap()).token(ADMIN_SECRET).build();
    admin.admin().createTopic("orders", 1).get(30, TimeUnit.SECONDS);
    admin.admin().createTopic("doomed", 1).get(30, TimeUnit.SECONDS);
    admin.admin().createTopic("secret-topic", 1).get(30, TimeUnit.SECONDS);
    produceAsAdmin("orders", "first");
  }

  @AfterAll
  void stop() {
    channels.forEach(ManagedChannel::shutdownNow);
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private String bootstrap() {
    return String.join(",", cluster.nodes.values().stream().map(n -> n.clientAddress().toString()).toList());
  }

  private ManagedChannel channel(SluiceNode node) {
    ManagedChannel ch = NettyChannelBuilder.forAddress(node.clientAddress().host(), node.clientAddress().port())
        .usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  private SluiceNode leader() {
    cluster.awaitLeader(WAIT);
    return cluster.currentLeader();
  }

  private static byte[] batch(String value) {
    return RecordBatch.builder().add(System.currentTimeMillis(), null, value.getBytes(StandardCharsets.UTF_8), List.of())
        .build();
  }

  private void produceAsAdmin(String topic, String value) {
    ProduceServiceGrpc.newBlockingStub(channel(leader())).withCallCredentials(new BearerToken(ADMIN_SECRET))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(0)
            .setRecords(ByteString.copyFrom(batch(value)))).build());
  }

  /**
   * A token for {@code principal}, made by the bootstrap admin, once every node applied it (a
   * follower knows a token only from the entry that created it: until then it refuses it).
   */
  private String tokenFor(String principal) throws Exception {
    CreatedToken t = admin.admin().createToken(principal, "test").get(30, TimeUnit.SECONDS);
    byte[] sha = io.sluice.node.security.Authenticator.sha256(t.secret());
    for (SluiceNode n : cluster.nodes.values()) {
      TestCluster.await(WAIT, "token of " + principal + " applied on " + n.id(), () -> n.core().tokenByHash(sha).isPresent());
    }
    return t.secret();
  }

  private void allow(String principal, AclResourceType type, String name, AclOperation op) throws Exception {
    AuthServiceGrpc.newBlockingStub(channel(leader())).withCallCredentials(new BearerToken(ADMIN_SECRET))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .addAcl(AddAclRequest.newBuilder().setAcl(AclEntry.newBuilder().setPrincipal(principal).setResourceType(type)
            .setResourceName(name).setOperation(op)).build());
  }

  // ---------------------------------------------------------------------------------------------
  // Every RPC: denied without its ACL, allowed with it.

  /** One RPC: the ACLs it needs (for its principal) and the call, on a channel with its token. */
  record Case(String name, List<AclEntry> needs, CallOn call) {
    @Override
    public String toString() {
      return name;
    }
  }

  @FunctionalInterface
  interface CallOn {
    void run(ManagedChannel channel, BearerToken token, String principal) throws Exception;
  }

  private static AclEntry needs(AclResourceType type, String name, AclOperation op) {
    return AclEntry.newBuilder().setResourceType(type).setResourceName(name).setOperation(op).build();
  }

  private static final AclResourceType TOPIC = AclResourceType.ACL_RESOURCE_TOPIC;
  private static final AclResourceType GROUP = AclResourceType.ACL_RESOURCE_GROUP;
  private static final AclResourceType CLUSTER = AclResourceType.ACL_RESOURCE_CLUSTER;

  static Stream<Case> operations() {
    return Stream.of(
        new Case("Produce", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_PRODUCE)), (ch, t, p) ->
            ProduceServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic("orders")
                    .setRecords(ByteString.copyFrom(batch("by " + p)))).build())),
        new Case("InitProducer", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_PRODUCE)), (ch, t, p) ->
            ProduceServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .initProducer(InitProducerRequest.getDefaultInstance())),
        new Case("Fetch", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_CONSUME)), (ch, t, p) ->
            FetchServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .fetch(FetchRequest.newBuilder().addPartitions(PartitionFetch.newBuilder().setTopic("orders"))
                    .setMaxBytes(1 << 20).build())),
        new Case("ListOffsets", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) ->
            FetchServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listOffsets(ListOffsetsRequest.newBuilder().addPartitions(PartitionRef.newBuilder().setTopic("orders"))
                    .build())),
        new Case("Subscribe", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_CONSUME)), AuthTest::subscribeOnce),
        new Case("CreateTopic", List.of(needs(TOPIC, "created-by-acl", AclOperation.ACL_OPERATION_ALTER)), (ch, t, p) ->
            TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .createTopic(CreateTopicRequest.newBuilder().setName("created-by-acl").setPartitions(1).build())),
        new Case("AlterTopicConfig", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_ALTER)), (ch, t, p) ->
            TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .alterTopicConfig(AlterTopicConfigRequest.newBuilder().setName("orders")
                    .putSet("retention.ms", "86400000").build())),
        new Case("DeleteTopic", List.of(needs(TOPIC, "doomed", AclOperation.ACL_OPERATION_ALTER)), (ch, t, p) ->
            TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .deleteTopic(DeleteTopicRequest.newBuilder().setName("doomed").build())),
        new Case("DescribeTopic", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) ->
            TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build())),
        new Case("ListTopics", List.of(needs(TOPIC, "orders", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) -> {
          // Never denied: answers only what the principal may describe.
          List<String> names = TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
              .withDeadlineAfter(20, TimeUnit.SECONDS).listTopics(ListTopicsRequest.getDefaultInstance())
              .getTopicsList().stream().map(d -> d.getName()).toList();
          if (!names.contains("orders")) {
            throw AuthErrorsForTest.denied("orders not listed: " + names);
          }
          assertFalse(names.contains("secret-topic"), "only describable topics are listed: " + names);
        }),
        new Case("JoinGroup", List.of(needs(GROUP, "g-join", AclOperation.ACL_OPERATION_READ)), (ch, t, p) ->
            GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .joinGroup(JoinGroupRequest.newBuilder().setGroupId("g-join").setClientId("c").addTopics("orders")
                    .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).build())),
        new Case("ListGroups", List.of(needs(GROUP, "g-join", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) -> {
          // Never denied: answers only the groups the principal may describe (g-join exists: the case above).
          List<String> ids = GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
              .withDeadlineAfter(20, TimeUnit.SECONDS).listGroups(ListGroupsRequest.getDefaultInstance())
              .getGroupsList().stream().map(g -> g.getGroupId()).toList();
          if (!ids.contains("g-join")) {
            throw AuthErrorsForTest.denied("g-join not listed: " + ids);
          }
          assertEquals(List.of("g-join"), ids, "only describable groups are listed");
        }),
        new Case("Heartbeat", List.of(needs(GROUP, "g-hb", AclOperation.ACL_OPERATION_READ)), (ch, t, p) ->
            expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).heartbeat(HeartbeatRequest.newBuilder().setGroupId("g-hb")
                    .setMemberId("nobody").setGeneration(1).build()))),
        new Case("LeaveGroup", List.of(needs(GROUP, "g-leave", AclOperation.ACL_OPERATION_READ)), (ch, t, p) ->
            expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).leaveGroup(LeaveGroupRequest.newBuilder().setGroupId("g-leave")
                    .setMemberId("nobody").build()))),
        new Case("CommitOffsets", List.of(needs(GROUP, "g-commit", AclOperation.ACL_OPERATION_READ),
            needs(TOPIC, "orders", AclOperation.ACL_OPERATION_CONSUME)), (ch, t, p) ->
            expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).commitOffsets(CommitOffsetsRequest.newBuilder()
                    .setCommit(GroupOffsetCommit.newBuilder().setGroupId("g-commit").setMemberId("nobody").setGeneration(1)
                        .addOffsets(CommittedOffset.newBuilder().setTopic("orders").setOffset(0))).build()))),
        new Case("FetchOffsets", List.of(needs(GROUP, "g-fo", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) ->
            GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .fetchOffsets(FetchOffsetsRequest.newBuilder().setGroupId("g-fo").build())),
        new Case("DescribeGroup", List.of(needs(GROUP, "g-desc", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) ->
            expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).describeGroup(DescribeGroupRequest.newBuilder()
                    .setGroupId("g-desc").build()))),
        new Case("ResetOffsets", List.of(needs(GROUP, "g-reset", AclOperation.ACL_OPERATION_READ),
            needs(TOPIC, "orders", AclOperation.ACL_OPERATION_DESCRIBE)), (ch, t, p) ->
            expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).resetOffsets(ResetOffsetsRequest.newBuilder()
                    .setGroupId("g-reset").setTopic("orders").setMode(OffsetResetMode.OFFSET_RESET_MODE_EARLIEST).build()))),
        new Case("DeleteGroup", List.of(needs(GROUP, "g-del", AclOperation.ACL_OPERATION_DELETE)), (ch, t, p) ->
            expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).deleteGroup(DeleteGroupRequest.newBuilder()
                    .setGroupId("g-del").build()))),
        new Case("GetNodeStatus", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            ClusterServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .getNodeStatus(GetNodeStatusRequest.getDefaultInstance())),
        new Case("AddNode", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            expectNotAuthFailure(() -> AdminServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).addNode(AddNodeRequest.newBuilder().setNodeId("")
                    .setRaftAddress("not an address").build()))),
        new Case("RemoveNode", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            expectNotAuthFailure(() -> AdminServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).removeNode(RemoveNodeRequest.newBuilder().setNodeId("nope")
                    .build()))),
        new Case("TransferLeader", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            expectNotAuthFailure(() -> AdminServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).transferLeader(TransferLeaderRequest.newBuilder()
                    .setNodeId("nope").build()))),
        new Case("TakeSnapshot", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AdminServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .takeSnapshot(TakeSnapshotRequest.getDefaultInstance())),
        new Case("CreateToken", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .createToken(CreateTokenRequest.newBuilder().setPrincipal("made-by-" + p).build())),
        new Case("RevokeToken", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            expectNotAuthFailure(() -> AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t)
                .withDeadlineAfter(20, TimeUnit.SECONDS).revokeToken(RevokeTokenRequest.newBuilder().setId("tok-0")
                    .build()))),
        new Case("ListTokens", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listTokens(ListTokensRequest.getDefaultInstance())),
        new Case("AddAcl", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .addAcl(AddAclRequest.newBuilder().setAcl(AclEntry.newBuilder().setPrincipal("someone")
                    .setResourceType(TOPIC).setResourceName("x").setOperation(AclOperation.ACL_OPERATION_DESCRIBE)).build())),
        new Case("RemoveAcl", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .removeAcl(RemoveAclRequest.newBuilder().setAcl(AclEntry.newBuilder().setPrincipal("someone")
                    .setResourceType(TOPIC).setResourceName("y").setOperation(AclOperation.ACL_OPERATION_DESCRIBE)).build())),
        new Case("ListAcls", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listAcls(ListAclsRequest.getDefaultInstance())),
        new Case("SetQuota", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .setQuota(io.sluice.api.v1.SetQuotaRequest.newBuilder().setQuota(io.sluice.api.v1.QuotaEntry.newBuilder()
                    .setPrincipal("quota-of-" + p).setProduceBytesPerSecond(1_000_000)).build())),
        new Case("RemoveQuota", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .removeQuota(io.sluice.api.v1.RemoveQuotaRequest.newBuilder().setPrincipal("nobody").build())),
        new Case("ListQuotas", List.of(needs(CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN)), (ch, t, p) ->
            AuthServiceGrpc.newBlockingStub(ch).withCallCredentials(t).withDeadlineAfter(20, TimeUnit.SECONDS)
                .listQuotas(io.sluice.api.v1.ListQuotasRequest.getDefaultInstance())));
  }

  /** Calls whose allowed outcome is a domain error (no such member, node, token): anything but auth failures. */
  private static void expectNotAuthFailure(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      Status.Code c = e.getStatus().getCode();
      if (c == Status.Code.PERMISSION_DENIED || c == Status.Code.UNAUTHENTICATED) {
        throw e;
      }
    }
  }

  private static void subscribeOnce(ManagedChannel ch, BearerToken t, String principal) throws Exception {
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    StreamObserver<SubscribeRequest> requests = FetchServiceGrpc.newStub(ch).withCallCredentials(t)
        .subscribe(new StreamObserver<>() {
          @Override
          public void onNext(SubscribeResponse value) {
            events.add(value);
          }

          @Override
          public void onError(Throwable e) {
            events.add(e);
          }

          @Override
          public void onCompleted() {
            events.add("completed");
          }
        });
    requests.onNext(SubscribeRequest.newBuilder().addPartitions(PartitionFetch.newBuilder().setTopic("orders"))
        .setCreditBytes(1 << 20).build());
    Object first = events.poll(20, TimeUnit.SECONDS);
    requests.onCompleted();
    if (first instanceof StatusRuntimeException e) {
      throw e;
    }
    assertInstanceOf(SubscribeResponse.class, first, "the stream delivers the topic's records");
  }

  private static final AtomicInteger CASES = new AtomicInteger();

  @ParameterizedTest(name = "{0}")
  @MethodSource("operations")
  void everyOperationIsDeniedWithoutItsAclAndAllowedWithIt(Case c) throws Exception {
    String principal = "user-" + c.name().toLowerCase() + "-" + CASES.incrementAndGet();
    BearerToken token = new BearerToken(tokenFor(principal));
    ManagedChannel ch = channel(leader());
    StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> c.call().run(ch, token, principal),
        c.name() + " without its ACL");
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode(), denied.toString());
    if (!List.of("ListTopics", "ListGroups").contains(c.name())) { // those filter instead of refusing
      assertEquals("AUTHORIZATION_FAILED", errorInfo(denied).getReason());
      assertTrue(denied.getStatus().getDescription().startsWith(principal + " may not "), denied.getStatus().getDescription());
      assertEquals(principal, errorInfo(denied).getMetadataOrThrow("principal"));
    }
    for (AclEntry n : c.needs()) {
      allow(principal, n.getResourceType(), n.getResourceName(), n.getOperation());
    }
    // The ACL is applied on the leader when AddAcl returns; the call goes to the leader.
    TestCluster.await(WAIT, c.name() + " allowed with its ACL", () -> {
      try {
        c.call().run(channel(leader()), token, principal);
        return true;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
          return false;
        }
        throw e;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  @Test
  void everyServedMethodHasAnAuthorizationRule() {
    List<String> served = new ArrayList<>();
    for (var service : List.of(ProduceServiceGrpc.getServiceDescriptor(), FetchServiceGrpc.getServiceDescriptor(),
        TopicServiceGrpc.getServiceDescriptor(), ClusterServiceGrpc.getServiceDescriptor(),
        AdminServiceGrpc.getServiceDescriptor(), GroupServiceGrpc.getServiceDescriptor(),
        AuthServiceGrpc.getServiceDescriptor())) {
      service.getMethods().forEach(m -> served.add(m.getFullMethodName()));
    }
    assertEquals(new java.util.TreeSet<>(served), new java.util.TreeSet<>(AuthorizationInterceptor.coveredMethods()));
    assertEquals(operations().count() + 1, served.size(), "the parameterized test covers every method but"
        + " DescribeCluster (open to every authenticated principal, tested below)");
  }

  // ---------------------------------------------------------------------------------------------

  private static ErrorInfo errorInfo(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    assertNotNull(s, "status details");
    for (var d : s.getDetailsList()) {
      if (d.is(ErrorInfo.class)) {
        try {
          return d.unpack(ErrorInfo.class);
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
      }
    }
    throw new AssertionError("no ErrorInfo in " + e);
  }

  /** Builds a PERMISSION_DENIED for the ListTopics case (filtering, not refusal). */
  static final class AuthErrorsForTest {
    static StatusRuntimeException denied(String why) {
      return io.sluice.node.security.AuthErrors.denied(why, Map.of());
    }
  }

  @Test
  void callsWithoutValidCredentialsAreUnauthenticatedAndCounted() throws Exception {
    SluiceNode node = leader();
    ManagedChannel ch = channel(node);
    StatusRuntimeException none = assertThrows(StatusRuntimeException.class, () -> TopicServiceGrpc
        .newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS).listTopics(ListTopicsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, none.getStatus().getCode());
    assertEquals("AUTHENTICATION_FAILED", errorInfo(none).getReason());
    assertTrue(none.getStatus().getDescription().contains("authentication is required"), none.getStatus().getDescription());
    StatusRuntimeException wrong = assertThrows(StatusRuntimeException.class, () -> TopicServiceGrpc
        .newBlockingStub(ch).withCallCredentials(new BearerToken("not-a-token")).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listTopics(ListTopicsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, wrong.getStatus().getCode());
    assertTrue(wrong.getStatus().getDescription().contains("unknown or revoked"), wrong.getStatus().getDescription());
    // The SDK maps it to its typed exception.
    try (SluiceClient anonymous = SluiceClient.builder().bootstrap(node.clientAddress().toString())
        .requestTimeout(Duration.ofSeconds(5)).build()) {
      Exception e = assertThrows(Exception.class, () -> anonymous.admin().describeTopic("orders").get(30, TimeUnit.SECONDS));
      assertInstanceOf(AuthenticationException.class, e.getCause(), e.toString());
    }
    String metrics = Scrape.get(node, "/metrics").body();
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("sluice_auth_denials_total{")
        && l.contains("reason=\"AUTHENTICATION_FAILED\"") && !l.endsWith(" 0.0")), metrics);
  }

  @Test
  void denialsAreAuditedAndCountedWithPrincipalOperationAndResource() throws Exception {
    String principal = "auditee";
    BearerToken token = new BearerToken(tokenFor(principal));
    SluiceNode node = leader();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ProduceServiceGrpc
        .newBlockingStub(channel(node)).withCallCredentials(token).withDeadlineAfter(10, TimeUnit.SECONDS)
        .produce(ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic("orders")
            .setRecords(ByteString.copyFrom(batch("x")))).build()));
    assertEquals("auditee may not produce to topic orders", e.getStatus().getDescription());
    TestCluster.await(WAIT, "the audit line", () -> audit().stream().anyMatch(l -> l.contains(
        "audit decision=denied principal=auditee operation=produce resource=topic:orders")));
    // Token creation by the admin was audited too.
    assertTrue(audit().stream().anyMatch(l -> l.contains("decision=applied principal=root")
        && l.contains("created token") && l.contains("for principal auditee")), String.join("\n", audit()));
    String metrics = Scrape.get(node, "/metrics").body();
    assertTrue(metrics.lines().anyMatch(l -> l.startsWith("sluice_auth_denials_total{")
        && l.contains("operation=\"produce\"") && l.contains("reason=\"AUTHORIZATION_FAILED\"")), metrics);
    // The secret of a token is never in the audit log.
    String secret = tokenFor("another");
    assertFalse(String.join("\n", audit()).contains(secret));
  }

  private List<String> audit() {
    try {
      return Files.readAllLines(auditFile);
    } catch (IOException e) {
      return List.of();
    }
  }

  @Test
  void prefixAndWildcardRules() throws Exception {
    admin.admin().createTopic("team-a.events", 1).get(30, TimeUnit.SECONDS);
    admin.admin().createTopic("other", 1).get(30, TimeUnit.SECONDS);
    admin.admin().createTopic("public-news", 1).get(30, TimeUnit.SECONDS);
    BearerToken bob = new BearerToken(tokenFor("bob"));
    BearerToken carol = new BearerToken(tokenFor("carol"));
    admin.admin().addAcl(new Acl("bob", Acl.ResourceType.TOPIC_PREFIX, "team-a.", Acl.Operation.DESCRIBE))
        .get(30, TimeUnit.SECONDS);
    admin.admin().addAcl(new Acl("*", Acl.ResourceType.TOPIC, "public-news", Acl.Operation.DESCRIBE))
        .get(30, TimeUnit.SECONDS);
    admin.admin().addAcl(new Acl("bob", Acl.ResourceType.GROUP_PREFIX, "team-a-", Acl.Operation.DESCRIBE))
        .get(30, TimeUnit.SECONDS);
    ManagedChannel ch = channel(leader());
    Consumer<String> bobDescribes = name -> TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(bob)
        .withDeadlineAfter(10, TimeUnit.SECONDS).describeTopic(DescribeTopicRequest.newBuilder().setName(name).build());
    bobDescribes.accept("team-a.events");
    bobDescribes.accept("public-news");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> bobDescribes.accept("other"));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals("bob may not describe topic other", e.getStatus().getDescription());
    // The prefix is a prefix, not a pattern: "team-a" without the dot does not match "team-a.".
    assertThrows(StatusRuntimeException.class, () -> bobDescribes.accept("team-b"));
    // `*` reaches carol, who has no rule of her own.
    TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(carol).withDeadlineAfter(10, TimeUnit.SECONDS)
        .describeTopic(DescribeTopicRequest.newBuilder().setName("public-news").build());
    assertEquals(List.of("public-news"), TopicServiceGrpc.newBlockingStub(ch).withCallCredentials(carol)
        .withDeadlineAfter(10, TimeUnit.SECONDS).listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList()
        .stream().map(d -> d.getName()).toList());
    // Group prefix: describe of a matching group is allowed (the group need not exist), others denied.
    expectNotAuthFailure(() -> GroupServiceGrpc.newBlockingStub(ch).withCallCredentials(bob)
        .withDeadlineAfter(10, TimeUnit.SECONDS).describeGroup(DescribeGroupRequest.newBuilder().setGroupId("team-a-x")
            .build()));
    StatusRuntimeException g = assertThrows(StatusRuntimeException.class, () -> GroupServiceGrpc.newBlockingStub(ch)
        .withCallCredentials(bob).withDeadlineAfter(10, TimeUnit.SECONDS)
        .describeGroup(DescribeGroupRequest.newBuilder().setGroupId("team-b-x").build()));
    assertEquals("bob may not describe group team-b-x", g.getStatus().getDescription());
    // And through the SDK: the typed exception.
    try (SluiceClient asBob = SluiceClient.builder().bootstrap(bootstrap()).token(tokenFor("bob")).build()) {
      Exception x = assertThrows(Exception.class, () -> asBob.admin().describeTopic("other").get(30, TimeUnit.SECONDS));
      assertInstanceOf(AuthorizationException.class, x.getCause(), x.toString());
      assertTrue(x.getCause().getMessage().contains("bob may not describe topic other"), x.getCause().getMessage());
    }
  }

  @Test
  void bootstrapAdminMayDoEverythingAndDescribeClusterIsOpenToEveryone() throws Exception {
    // No ACL names "root": the bootstrap admin is allowed by configuration.
    assertTrue(admin.admin().listAcls().get(30, TimeUnit.SECONDS).stream().noneMatch(a -> a.principal().equals("root")));
    admin.admin().takeSnapshot(leader().clientAddress().toString()).get(30, TimeUnit.SECONDS);
    admin.admin().listTokens().get(30, TimeUnit.SECONDS);
    BearerToken nobody = new BearerToken(tokenFor("nobody"));
    for (SluiceNode n : cluster.nodes.values()) {
      TestCluster.await(WAIT, "token known on " + n.id(), () -> {
        try {
          ClusterServiceGrpc.newBlockingStub(channel(n)).withCallCredentials(nobody)
              .withDeadlineAfter(10, TimeUnit.SECONDS).describeCluster(DescribeClusterRequest.getDefaultInstance());
          return true;
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
            return false;
          }
          throw e;
        }
      });
    }
  }

  @Test
  void aRevokedTokenStopsWorkingOnEveryNodeAndEndsItsOpenStream() throws Exception {
    CreatedToken created = admin.admin().createToken("dana", "stream").get(30, TimeUnit.SECONDS);
    BearerToken dana = new BearerToken(created.secret());
    admin.admin().addAcl(new Acl("dana", Acl.ResourceType.TOPIC, "orders", Acl.Operation.CONSUME)).get(30, TimeUnit.SECONDS);
    // Works on every node once each applied it.
    for (SluiceNode n : cluster.nodes.values()) {
      TestCluster.await(WAIT, "dana's token and ACL on " + n.id(), () -> describes(n, dana) == Status.Code.OK);
    }
    // A stream on a follower: open, delivering.
    SluiceNode follower = cluster.nodes.values().stream().filter(n -> !n.isLeader()).findFirst().orElseThrow();
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    StreamObserver<SubscribeRequest> requests = FetchServiceGrpc.newStub(channel(follower)).withCallCredentials(dana)
        .subscribe(new StreamObserver<>() {
          @Override
          public void onNext(SubscribeResponse value) {
            events.add(value);
          }

          @Override
          public void onError(Throwable e) {
            events.add(e);
          }

          @Override
          public void onCompleted() {
            events.add("completed");
          }
        });
    requests.onNext(SubscribeRequest.newBuilder().addPartitions(PartitionFetch.newBuilder().setTopic("orders"))
        .setCreditBytes(1 << 20).build());
    assertInstanceOf(SubscribeResponse.class, events.poll(30, TimeUnit.SECONDS), "the stream delivers");

    admin.admin().revokeToken(created.token().id()).get(30, TimeUnit.SECONDS);
    // The open stream ends with UNAUTHENTICATED, within a bounded time (recheck every 200 ms).
    Object end;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    do {
      end = events.poll(1, TimeUnit.SECONDS);
    } while (!(end instanceof Throwable) && System.nanoTime() < deadline);
    StatusRuntimeException ended = assertInstanceOf(StatusRuntimeException.class, end, "the stream ended");
    assertEquals(Status.Code.UNAUTHENTICATED, ended.getStatus().getCode(), ended.toString());
    assertTrue(ended.getStatus().getDescription().contains("revoked"), ended.getStatus().getDescription());
    // And every node refuses the token.
    for (SluiceNode n : cluster.nodes.values()) {
      TestCluster.await(WAIT, "dana refused on " + n.id(), () -> describes(n, dana) == Status.Code.UNAUTHENTICATED);
    }
    assertTrue(admin.admin().listTokens().get(30, TimeUnit.SECONDS).stream()
        .noneMatch(t -> t.id().equals(created.token().id())));
  }

  /** The status of describing "orders" on {@code n} with token {@code t}. */
  private Status.Code describes(SluiceNode n, BearerToken t) {
    try {
      TopicServiceGrpc.newBlockingStub(channel(n)).withCallCredentials(t).withDeadlineAfter(10, TimeUnit.SECONDS)
          .describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void tokensAndAclsSurviveARestartFromSnapshotAndOnlyTheHashIsOnDisk() throws Exception {
    String secret = tokenFor("erin");
    admin.admin().addAcl(new Acl("erin", Acl.ResourceType.TOPIC, "orders", Acl.Operation.DESCRIBE)).get(30, TimeUnit.SECONDS);
    SluiceNode follower = cluster.nodes.values().stream().filter(n -> !n.isLeader()).findFirst().orElseThrow();
    String id = follower.id();
    TestCluster.await(WAIT, "erin's token on " + id, () -> follower.core().tokens().stream()
        .anyMatch(t -> t.getPrincipal().equals("erin")) && follower.core().acls().stream()
        .anyMatch(a -> a.getPrincipal().equals("erin")));
    // A snapshot, then a restart: the state loads from it (RocksDB checkpoint) plus the log after it.
    admin.admin().takeSnapshot(follower.clientAddress().toString()).get(30, TimeUnit.SECONDS);
    cluster.stop(id);
    SluiceNode restarted = cluster.startNode(id);
    BearerToken erin = new BearerToken(secret);
    TestCluster.await(WAIT, "erin allowed on the restarted " + id, () -> {
      try {
        TopicServiceGrpc.newBlockingStub(channel(restarted)).withCallCredentials(erin)
            .withDeadlineAfter(10, TimeUnit.SECONDS).describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build());
        return true;
      } catch (StatusRuntimeException e) {
        return false;
      }
    });
    // Nowhere in any node's data directory (Raft log, snapshots, RocksDB) is the secret.
    byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
    for (Path f : TestCluster.regularFiles(cluster.root)) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(f);
      } catch (IOException e) {
        continue; // a file removed meanwhile (segment rolled, snapshot purged)
      }
      if (indexOf(bytes, needle) >= 0) {
        fail("the token secret is stored in " + f);
      }
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
