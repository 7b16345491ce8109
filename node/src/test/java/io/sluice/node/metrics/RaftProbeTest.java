package io.sluice.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** Follower lag pairs ids and match indexes by position, and refuses a mismatched pair of lists. */
class RaftProbeTest {
  private static ServerRpcProto follower(String id) {
    return ServerRpcProto.newBuilder().setId(RaftPeerProto.newBuilder().setId(ByteString.copyFromUtf8(id))).build();
  }

  @Test
  void lagIsLastIndexMinusMatchIndexPerFollower() {
    assertEquals(Map.of("n2", 0L, "n3", 40L),
        RaftProbe.zipLag(List.of(follower("n2"), follower("n3")), new long[] {100, 60}, 100));
  }

  @Test
  void mismatchedListsReportNothingRatherThanAWrongPairing() {
    assertEquals(Map.of(), RaftProbe.zipLag(List.of(follower("n2")), new long[] {100, 60}, 100));
    assertEquals(Map.of(), RaftProbe.zipLag(List.of(follower("n2")), null, 100));
  }

  @Test
  void rpcNamesAreSnakeCase() {
    assertEquals("produce", RpcMetrics.rpcName("Produce"));
    assertEquals("create_topic", RpcMetrics.rpcName("CreateTopic"));
    assertEquals("get_node_status", RpcMetrics.rpcName("GetNodeStatus"));
  }
}
