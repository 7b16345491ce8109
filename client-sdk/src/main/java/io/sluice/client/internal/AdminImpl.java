package io.sluice.client.internal;

import io.sluice.api.v1.AddNodeRequest;
import io.sluice.api.v1.AlterTopicConfigRequest;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.DeleteTopicRequest;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.GetNodeStatusRequest;
import io.sluice.api.v1.ListTopicsRequest;
import io.sluice.api.v1.RemoveNodeRequest;
import io.sluice.api.v1.TakeSnapshotRequest;
import io.sluice.api.v1.TakeSnapshotResponse;
import io.sluice.api.v1.TopicDescription;
import io.sluice.api.v1.TransferLeaderRequest;
import io.sluice.client.Admin;
import io.sluice.client.ClusterInfo;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.NodeStatus;
import io.sluice.client.TopicInfo;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.TopicNames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@link Admin} over the client's channels; see there for retries and bounds. Thread-safe. */
public final class AdminImpl implements Admin {
  private final ClientContext ctx;

  public AdminImpl(ClientContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public CompletableFuture<TopicInfo> createTopic(String name, int partitions, java.util.Map<String, String> configs) {
    String problem = TopicNames.problem(name);
    if (problem != null) {
      return Futures.failed(new InvalidRequestException(problem, null, "INVALID_TOPIC_NAME", WriteOutcome.NOT_WRITTEN, null));
    }
    if (partitions < 1) {
      return Futures.failed(new InvalidRequestException("partition count must be at least 1, got " + partitions,
          null, "INVALID_PARTITION_COUNT", WriteOutcome.NOT_WRITTEN, null));
    }
    CreateTopicRequest req = CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions)
        .putAllConfigs(configs).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "createTopic " + name,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.CREATE_TOPIC, req, timeout, true)),
        resp -> Convert.topic(resp.getTopic()));
  }

  @Override
  public CompletableFuture<TopicInfo> alterTopicConfig(String name, java.util.Map<String, String> set,
      java.util.Collection<String> reset) {
    String problem = TopicNames.problem(name);
    if (problem != null) {
      return Futures.failed(new InvalidRequestException(problem, null, "INVALID_TOPIC_NAME", WriteOutcome.NOT_WRITTEN, null));
    }
    AlterTopicConfigRequest req = AlterTopicConfigRequest.newBuilder().setName(name).putAllSet(set).addAllReset(reset).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "alterTopicConfig " + name,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.ALTER_TOPIC_CONFIG, req, timeout, true)),
        Convert::topic);
  }

  @Override
  public CompletableFuture<Void> deleteTopic(String name) {
    String problem = TopicNames.problem(name);
    if (problem != null) {
      return Futures.failed(new InvalidRequestException(problem, null, "INVALID_TOPIC_NAME", WriteOutcome.NOT_WRITTEN, null));
    }
    DeleteTopicRequest req = DeleteTopicRequest.newBuilder().setName(name).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "deleteTopic " + name,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.DELETE_TOPIC, req, timeout, true)),
        resp -> null);
  }

  @Override
  public CompletableFuture<List<TopicInfo>> listTopics() {
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.ANY, false, "listTopics",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LIST_TOPICS,
            ListTopicsRequest.getDefaultInstance(), timeout, false)),
        resp -> {
          List<TopicInfo> out = new ArrayList<>(resp.getTopicsCount());
          for (TopicDescription d : resp.getTopicsList()) {
            out.add(Convert.topic(d));
          }
          return List.copyOf(out);
        });
  }

  @Override
  public CompletableFuture<TopicInfo> describeTopic(String name) {
    String problem = TopicNames.problem(name);
    if (problem != null) {
      return Futures.failed(new InvalidRequestException(problem, null, "INVALID_TOPIC_NAME", WriteOutcome.NOT_A_WRITE, null));
    }
    DescribeTopicRequest req = DescribeTopicRequest.newBuilder().setName(name).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.ANY, false, "describeTopic " + name,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.DESCRIBE_TOPIC, req, timeout, false)),
        Convert::topic);
  }

  @Override
  public CompletableFuture<ClusterInfo> describeCluster() {
    return ctx.metadata().refreshNow();
  }

  @Override
  public CompletableFuture<ClusterInfo> addNode(String nodeId, String raftAddress) {
    String address;
    try {
      address = Addresses.check(raftAddress);
    } catch (IllegalArgumentException e) {
      return Futures.failed(new InvalidRequestException("Raft address: " + e.getMessage(), null,
          "INVALID_REQUEST", WriteOutcome.NOT_WRITTEN, e));
    }
    AddNodeRequest req = AddNodeRequest.newBuilder().setNodeId(nodeId).setRaftAddress(address).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "addNode " + nodeId,
        (node, timeout) -> ctx.rpc().call(node, SluiceMethods.ADD_NODE, req, timeout, true)),
        resp -> ClusterMetadata.toInfo(resp.getCluster()));
  }

  @Override
  public CompletableFuture<ClusterInfo> removeNode(String nodeId) {
    RemoveNodeRequest req = RemoveNodeRequest.newBuilder().setNodeId(nodeId).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "removeNode " + nodeId,
        (node, timeout) -> ctx.rpc().call(node, SluiceMethods.REMOVE_NODE, req, timeout, true)),
        resp -> ClusterMetadata.toInfo(resp.getCluster()));
  }

  @Override
  public CompletableFuture<String> transferLeader(String nodeId) {
    TransferLeaderRequest req = TransferLeaderRequest.newBuilder().setNodeId(nodeId).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "transferLeader " + nodeId,
        (node, timeout) -> ctx.rpc().call(node, SluiceMethods.TRANSFER_LEADER, req, timeout, true)),
        resp -> {
          ctx.metadata().nodeFailed(ctx.metadata().leaderAddress()); // forget the old leader
          return resp.getLeaderId();
        });
  }

  @Override
  public CompletableFuture<Long> takeSnapshot(String clientAddress) {
    String address;
    try {
      address = Addresses.check(clientAddress);
    } catch (IllegalArgumentException e) {
      return Futures.failed(e);
    }
    return Futures.map(ctx.rpc().call(address, SluiceMethods.TAKE_SNAPSHOT, TakeSnapshotRequest.getDefaultInstance(),
        ctx.requestTimeout(), false), TakeSnapshotResponse::getSnapshotIndex);
  }

  @Override
  public CompletableFuture<NodeStatus> nodeStatus(String clientAddress) {
    String address;
    try {
      address = Addresses.check(clientAddress);
    } catch (IllegalArgumentException e) {
      return Futures.failed(e);
    }
    return Futures.map(ctx.rpc().call(address, SluiceMethods.GET_NODE_STATUS,
        GetNodeStatusRequest.getDefaultInstance(), ctx.requestTimeout(), false), Convert::nodeStatus);
  }

  private static <T> CompletableFuture<T> badGroup(String groupId) {
    String problem = io.sluice.protocol.GroupIds.problem(groupId);
    return problem == null ? null : Futures.failed(new InvalidRequestException(problem, null, "INVALID_GROUP_ID",
        WriteOutcome.NOT_WRITTEN, null));
  }

  @Override
  public CompletableFuture<List<io.sluice.client.ConsumerGroupListing>> listGroups() {
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.ANY, false, "listGroups",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LIST_GROUPS,
            io.sluice.api.v1.ListGroupsRequest.getDefaultInstance(), timeout, false)),
        resp -> resp.getGroupsList().stream().map(g -> new io.sluice.client.ConsumerGroupListing(g.getGroupId(),
            Convert.groupState(g.getState()), g.getGeneration(), g.getMembers())).toList());
  }

  @Override
  public CompletableFuture<io.sluice.client.ConsumerGroupDescription> describeGroup(String groupId) {
    CompletableFuture<io.sluice.client.ConsumerGroupDescription> bad = badGroup(groupId);
    if (bad != null) {
      return bad;
    }
    io.sluice.api.v1.DescribeGroupRequest req = io.sluice.api.v1.DescribeGroupRequest.newBuilder().setGroupId(groupId).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.ANY, false, "describeGroup " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.DESCRIBE_GROUP, req, timeout, false)),
        Convert::group);
  }

  @Override
  public CompletableFuture<java.util.Map<io.sluice.client.TopicPartition, Long>> resetOffsets(String groupId,
      String topic, io.sluice.client.OffsetResetPolicy to) {
    return reset(groupId, topic, to == io.sluice.client.OffsetResetPolicy.EARLIEST
        ? io.sluice.api.v1.OffsetResetMode.OFFSET_RESET_MODE_EARLIEST : io.sluice.api.v1.OffsetResetMode.OFFSET_RESET_MODE_LATEST, 0);
  }

  @Override
  public CompletableFuture<java.util.Map<io.sluice.client.TopicPartition, Long>> resetOffsets(String groupId,
      String topic, long offset) {
    if (offset < 0) {
      return Futures.failed(new InvalidRequestException("offset must not be negative, got " + offset, null,
          "INVALID_OFFSET", WriteOutcome.NOT_WRITTEN, null));
    }
    return reset(groupId, topic, io.sluice.api.v1.OffsetResetMode.OFFSET_RESET_MODE_OFFSET, offset);
  }

  private CompletableFuture<java.util.Map<io.sluice.client.TopicPartition, Long>> reset(String groupId, String topic,
      io.sluice.api.v1.OffsetResetMode mode, long offset) {
    CompletableFuture<java.util.Map<io.sluice.client.TopicPartition, Long>> bad = badGroup(groupId);
    if (bad != null) {
      return bad;
    }
    String problem = TopicNames.problem(topic);
    if (problem != null) {
      return Futures.failed(new InvalidRequestException(problem, null, "INVALID_TOPIC_NAME", WriteOutcome.NOT_WRITTEN, null));
    }
    io.sluice.api.v1.ResetOffsetsRequest req = io.sluice.api.v1.ResetOffsetsRequest.newBuilder().setGroupId(groupId)
        .setTopic(topic).setMode(mode).setOffset(offset).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "resetOffsets " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.RESET_OFFSETS, req, timeout, true)),
        resp -> {
          java.util.Map<io.sluice.client.TopicPartition, Long> out = new java.util.LinkedHashMap<>();
          resp.getOffsetsList().forEach(o -> out.put(new io.sluice.client.TopicPartition(o.getTopic(), o.getPartition()),
              o.getOffset()));
          return out;
        });
  }

  @Override
  public CompletableFuture<Void> deleteGroup(String groupId) {
    CompletableFuture<Void> bad = badGroup(groupId);
    if (bad != null) {
      return bad;
    }
    io.sluice.api.v1.DeleteGroupRequest req = io.sluice.api.v1.DeleteGroupRequest.newBuilder().setGroupId(groupId).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "deleteGroup " + groupId,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.DELETE_GROUP, req, timeout, true)),
        resp -> null);
  }

  // Tokens and ACLs

  @Override
  public CompletableFuture<io.sluice.client.CreatedToken> createToken(String principal, String name) {
    io.sluice.api.v1.CreateTokenRequest req = io.sluice.api.v1.CreateTokenRequest.newBuilder()
        .setPrincipal(java.util.Objects.requireNonNull(principal, "principal"))
        .setName(name == null ? "" : name).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "createToken for " + principal,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.CREATE_TOKEN, req, timeout, true)),
        resp -> new io.sluice.client.CreatedToken(token(resp.getToken()), resp.getSecret()));
  }

  @Override
  public CompletableFuture<Void> revokeToken(String id) {
    io.sluice.api.v1.RevokeTokenRequest req = io.sluice.api.v1.RevokeTokenRequest.newBuilder()
        .setId(java.util.Objects.requireNonNull(id, "id")).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "revokeToken " + id,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.REVOKE_TOKEN, req, timeout, true)),
        resp -> null);
  }

  @Override
  public CompletableFuture<List<io.sluice.client.AuthToken>> listTokens() {
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, false, "listTokens",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LIST_TOKENS,
            io.sluice.api.v1.ListTokensRequest.getDefaultInstance(), timeout, false)),
        resp -> resp.getTokensList().stream().map(AdminImpl::token).toList());
  }

  @Override
  public CompletableFuture<Void> addAcl(io.sluice.client.Acl acl) {
    io.sluice.api.v1.AddAclRequest req = io.sluice.api.v1.AddAclRequest.newBuilder().setAcl(toProto(acl)).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "addAcl " + acl,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.ADD_ACL, req, timeout, true)),
        resp -> null);
  }

  @Override
  public CompletableFuture<Boolean> removeAcl(io.sluice.client.Acl acl) {
    io.sluice.api.v1.RemoveAclRequest req = io.sluice.api.v1.RemoveAclRequest.newBuilder().setAcl(toProto(acl)).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "removeAcl " + acl,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.REMOVE_ACL, req, timeout, true)),
        io.sluice.api.v1.RemoveAclResponse::getRemoved);
  }

  @Override
  public CompletableFuture<List<io.sluice.client.Acl>> listAcls() {
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, false, "listAcls",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LIST_ACLS,
            io.sluice.api.v1.ListAclsRequest.getDefaultInstance(), timeout, false)),
        resp -> resp.getAclsList().stream().map(AdminImpl::fromProto).toList());
  }

  @Override
  public CompletableFuture<Void> setQuota(io.sluice.client.Quota quota) {
    io.sluice.api.v1.SetQuotaRequest req = io.sluice.api.v1.SetQuotaRequest.newBuilder()
        .setQuota(io.sluice.api.v1.QuotaEntry.newBuilder().setPrincipal(quota.principal())
            .setProduceBytesPerSecond(quota.produceBytesPerSecond()).setFetchBytesPerSecond(quota.fetchBytesPerSecond()))
        .build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "setQuota " + quota,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.SET_QUOTA, req, timeout, true)),
        resp -> null);
  }

  @Override
  public CompletableFuture<Boolean> removeQuota(String principal) {
    io.sluice.api.v1.RemoveQuotaRequest req = io.sluice.api.v1.RemoveQuotaRequest.newBuilder()
        .setPrincipal(java.util.Objects.requireNonNull(principal, "principal")).build();
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, true, "removeQuota " + principal,
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.REMOVE_QUOTA, req, timeout, true)),
        io.sluice.api.v1.RemoveQuotaResponse::getRemoved);
  }

  @Override
  public CompletableFuture<List<io.sluice.client.Quota>> listQuotas() {
    return Futures.map(RetryingCall.run(ctx, RetryingCall.Target.LEADER, false, "listQuotas",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LIST_QUOTAS,
            io.sluice.api.v1.ListQuotasRequest.getDefaultInstance(), timeout, false)),
        resp -> resp.getQuotasList().stream().map(q -> new io.sluice.client.Quota(q.getPrincipal(),
            q.getProduceBytesPerSecond(), q.getFetchBytesPerSecond())).toList());
  }

  private static io.sluice.client.AuthToken token(io.sluice.api.v1.TokenInfo t) {
    return new io.sluice.client.AuthToken(t.getId(), t.getPrincipal(), t.getName(), t.getCreatedTimeMs());
  }

  static io.sluice.api.v1.AclEntry toProto(io.sluice.client.Acl acl) {
    return io.sluice.api.v1.AclEntry.newBuilder()
        .setPrincipal(acl.principal())
        .setResourceType(io.sluice.api.v1.AclResourceType.valueOf("ACL_RESOURCE_" + acl.resourceType().name()))
        .setResourceName(acl.resourceName())
        .setOperation(io.sluice.api.v1.AclOperation.valueOf("ACL_OPERATION_" + acl.operation().name()))
        .build();
  }

  static io.sluice.client.Acl fromProto(io.sluice.api.v1.AclEntry a) {
    return new io.sluice.client.Acl(a.getPrincipal(),
        io.sluice.client.Acl.ResourceType.valueOf(a.getResourceType().name().substring("ACL_RESOURCE_".length())),
        a.getResourceName(),
        io.sluice.client.Acl.Operation.valueOf(a.getOperation().name().substring("ACL_OPERATION_".length())));
  }
}
