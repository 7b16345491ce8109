package io.sluice.node.metrics;

import io.sluice.node.SluiceNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.util.LifeCycle;

/**
 * Reads a node's Raft state for health and metrics. Every read tolerates a node that is starting
 * or stopping (no division yet, or a closed one): it then reports "unavailable" rather than
 * throwing into an HTTP handler. Stateless and thread-safe.
 */
final class RaftProbe {
  private RaftProbe() {}

  /** The node's division, or null while there is none (not started, or stopped). */
  static RaftServer.Division division(SluiceNode node) {
    try {
      return node.division();
    } catch (RuntimeException notThere) {
      return null;
    }
  }

  static Readiness.State state(SluiceNode node) {
    RaftServer.Division division = division(node);
    if (division == null) {
      return Readiness.State.unavailable();
    }
    try {
      DivisionInfo info = division.getInfo();
      RaftPeerId self = division.getId();
      boolean member = division.getRaftConf().getCurrentPeers().stream().anyMatch(p -> p.getId().equals(self));
      RaftPeerId leader = info.getLeaderId();
      return new Readiness.State(info.getLifeCycleState() == LifeCycle.State.RUNNING, member,
          leader == null ? null : leader.toString(), info.isLeader(), info.isLeader() && info.isLeaderReady(),
          info.getCurrentTerm(), division.getRaftLog().getLastCommittedIndex(), info.getLastAppliedIndex());
    } catch (RuntimeException closing) {
      return Readiness.State.unavailable();
    }
  }

  /**
   * On the leader: for each follower, the leader's last log index minus the follower's match
   * index (entries the follower is known to lack). Empty on other nodes.
   */
  static Map<String, Long> followerLag(RaftServer.Division division) {
    if (division == null) {
      return Map.of();
    }
    try {
      DivisionInfo info = division.getInfo();
      if (!info.isLeader()) {
        return Map.of();
      }
      // Both come from the leader's list of log appenders, in the same order.
      RoleInfoProto role = info.getRoleInfoProto();
      long[] match = info.getFollowerMatchIndices();
      long last = division.getRaftLog().getNextIndex() - 1;
      return zipLag(role.hasLeaderInfo() ? role.getLeaderInfo().getFollowerInfoList() : List.of(), match, last);
    } catch (RuntimeException closing) {
      return Map.of();
    }
  }

  /**
   * Pairs follower ids with match indexes by position. When the two lists differ in length (the
   * configuration changed between the two reads) nothing is reported rather than a wrong pairing.
   */
  static Map<String, Long> zipLag(List<ServerRpcProto> followers, long[] matchIndices, long lastIndex) {
    if (matchIndices == null || followers.size() != matchIndices.length) {
      return Map.of();
    }
    Map<String, Long> lag = new LinkedHashMap<>();
    for (int i = 0; i < matchIndices.length; i++) {
      String id = followers.get(i).getId().getId().toStringUtf8();
      lag.put(id, Math.max(0, lastIndex - matchIndices[i]));
    }
    return lag;
  }
}
