package io.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.api.v1.ErrorReason;
import io.sluice.protocol.SluiceErrors;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Admin behaviour against an in-process fake cluster. */
class AdminTest {
  private static final long WAIT_S = 20;

  private FakeCluster cluster;
  private SluiceClient client;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new FakeCluster(2);
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    cluster.close();
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(WAIT_S, TimeUnit.SECONDS);
  }

  private static SluiceException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT_S, TimeUnit.SECONDS));
    return assertInstanceOf(SluiceException.class, e.getCause());
  }

  @Test
  void createFollowsTheLeaderHint() throws Exception {
    cluster.leaderId = "n2";
    // n1 has a stale view and claims to lead; its NOT_LEADER answer then points at n2.
    cluster.node(1).describeCluster = (q, o) -> FakeCluster.FakeNode.answer(o, DescribeClusterResponse.newBuilder()
        .setLeaderId("n1").addNodes(io.sluice.api.v1.NodeInfo.newBuilder().setId("n1")
            .setClientAddress(cluster.node(1).address)).build());
    client = cluster.client(cluster.node(1)).build();

    TopicInfo t = await(client.admin().createTopic("orders", 4));

    assertEquals("orders", t.name());
    assertEquals(4, t.partitions().size());
    assertEquals(1, cluster.node(1).createRequests.size());
    assertEquals(1, cluster.node(2).createRequests.size());
  }

  @Test
  void createRetriesNoLeaderButNotCommitTimeout() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    cluster.node(1).createTopic = (q, o) -> {
      int n = calls.incrementAndGet();
      if (n == 1) {
        o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.NO_LEADER, SluiceErrors.NOT_WRITTEN));
      } else if (n == 2) {
        o.onError(FakeCluster.error(Status.Code.UNAVAILABLE, ErrorReason.COMMIT_TIMEOUT, SluiceErrors.UNKNOWN));
      } else {
        cluster.node(1).defaultCreate(q, o);
      }
    };
    client = cluster.client().build();

    SluiceException e = failure(client.admin().createTopic("orders", 1));

    assertInstanceOf(IndeterminateException.class, e);
    assertEquals(2, cluster.node(1).createRequests.size(), "NO_LEADER retried once, COMMIT_TIMEOUT not at all");
  }

  @Test
  void typedErrorsForTopics() throws Exception {
    client = cluster.client().build();
    Admin admin = client.admin();
    await(admin.createTopic("orders", 2));

    assertInstanceOf(TopicExistsException.class, failure(admin.createTopic("orders", 2)));
    assertInstanceOf(UnknownTopicException.class, failure(admin.describeTopic("missing")));
    SluiceException badName = failure(admin.createTopic("no/slash", 1));
    assertInstanceOf(InvalidRequestException.class, badName);
    assertInstanceOf(InvalidRequestException.class, failure(admin.createTopic("ok", 0)));
    assertEquals(2, cluster.node(1).createRequests.size() + cluster.node(2).createRequests.size(),
        "the two valid creates reach the server; the invalid ones are rejected before any RPC");
  }

  @Test
  void listsDescribesAndDeletes() throws Exception {
    client = cluster.client().build();
    Admin admin = client.admin();
    await(admin.createTopic("b", 1));
    await(admin.createTopic("a", 2));

    assertEquals(List.of("a", "b"), await(admin.listTopics()).stream().map(TopicInfo::name).toList());
    assertEquals(new PartitionInfo(1, 0, 0, 0, 0), await(admin.describeTopic("a")).partitions().get(1));
    await(admin.deleteTopic("a"));
    assertInstanceOf(UnknownTopicException.class, failure(admin.describeTopic("a")));
    assertInstanceOf(UnknownTopicException.class, failure(admin.deleteTopic("a")));
  }

  @Test
  void describesTheClusterAndOneNode() throws Exception {
    client = cluster.client(cluster.node(2)).build();

    ClusterInfo info = await(client.admin().describeCluster());
    NodeStatus status = await(client.admin().nodeStatus(cluster.node(1).address));

    assertEquals("n1", info.leaderId());
    assertEquals(List.of("n1", "n2"), info.nodes().stream().map(NodeInfo::id).toList());
    assertEquals(cluster.node(1).address, info.nodes().get(0).clientAddress());
    assertEquals("n1", status.id());
    assertEquals("LEADER", status.role());
    assertInstanceOf(UnavailableException.class, failure(client.admin().nodeStatus("nobody-home:7070")));
  }

  @Test
  void failsWithinItsBoundWhenNoNodeAnswers() throws Exception {
    cluster.close();
    client = cluster.client().requestTimeout(Duration.ofMillis(200)).build();

    SluiceException e = failure(client.admin().describeTopic("orders"));

    assertTrue(e.retriable(), e.toString());
    assertEquals(WriteOutcome.NOT_A_WRITE, e.writeOutcome());
  }
}
