package io.sluice.node;

import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ClusterServiceGrpc;
import io.sluice.api.v1.DescribeClusterRequest;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.api.v1.FollowerStatus;
import io.sluice.api.v1.GetNodeStatusRequest;
import io.sluice.api.v1.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;

/**
 * Membership, leader and per-node Raft status (with disk use and, on the leader, each follower's
 * lag), from this node's point of view.
 */
final class ClusterService extends ClusterServiceGrpc.ClusterServiceImplBase {
  private final SluiceNode node;

  ClusterService(SluiceNode node) {
    this.node = node;
  }

  @Override
  public void describeCluster(DescribeClusterRequest request, StreamObserver<DescribeClusterResponse> observer) {
    Replies.complete(observer, node.membership().describeCluster(), null);
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
        .setDiskUsedBytes(DiskUsage.bytesUnder(node.config().dataDir()))
        .addAllFollowers(followers())
        .build(), null);
  }

  private List<FollowerStatus> followers() {
    List<FollowerStatus> out = new ArrayList<>();
    for (Membership.Progress p : node.membership().followers()) {
      out.add(FollowerStatus.newBuilder()
          .setId(p.id())
          .setListener(p.listener())
          .setCommitIndex(p.commitIndex())
          .setLagEntries(p.lagEntries())
          .setLastContactMs(p.lastContactMs())
          .build());
    }
    return out;
  }
}
