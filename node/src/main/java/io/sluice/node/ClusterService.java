package io.sluice.node;

import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ClusterServiceGrpc;
import io.sluice.api.v1.DescribeClusterRequest;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.api.v1.GetNodeStatusRequest;
import io.sluice.api.v1.NodeInfo;
import io.sluice.api.v1.NodeStatus;
import java.util.Map;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;

/** Membership, leader and per-node Raft status, from this node's point of view. */
final class ClusterService extends ClusterServiceGrpc.ClusterServiceImplBase {
  private final SluiceNode node;

  ClusterService(SluiceNode node) {
    this.node = node;
  }

  @Override
  public void describeCluster(DescribeClusterRequest request, StreamObserver<DescribeClusterResponse> observer) {
    Map<String, String> addresses = node.clientAddresses();
    DescribeClusterResponse.Builder response = DescribeClusterResponse.newBuilder()
        .setClusterId(node.config().clusterId())
        .setNodeId(node.id())
        .setLeaderId(node.leaderId().orElse(""));
    for (RaftPeer peer : node.division().getRaftConf().getCurrentPeers()) {
      String id = peer.getId().toString();
      response.addNodes(NodeInfo.newBuilder()
          .setId(id)
          .setRaftAddress(peer.getAddress())
          .setClientAddress(addresses.getOrDefault(id, node.core().nodes().getOrDefault(id, ""))));
    }
    Replies.complete(observer, response.build(), null);
  }

  @Override
  public void getNodeStatus(GetNodeStatusRequest request, StreamObserver<NodeStatus> observer) {
    RaftServer.Division division = node.division();
    DivisionInfo info = division.getInfo();
    Replies.complete(observer, NodeStatus.newBuilder()
        .setId(node.id())
        .setRole(info.getCurrentRole().name())
        .setTerm(info.getCurrentTerm())
        .setCommitIndex(division.getRaftLog().getLastCommittedIndex())
        .setAppliedIndex(info.getLastAppliedIndex())
        .setLeaderId(node.leaderId().orElse(""))
        .setSnapshotIndex(node.stateMachine().latestSnapshotIndex())
        .setClientAddress(node.config().advertisedListen().toString())
        .setRaftAddress(node.config().raftListen().toString())
        .setPid(ProcessHandle.current().pid())
        .build(), null);
  }
}
