package io.sluice.node;

import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.AlterTopicConfigRequest;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.CreateTopicResponse;
import io.sluice.api.v1.DeleteTopicRequest;
import io.sluice.api.v1.DeleteTopicResponse;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.ListTopicsRequest;
import io.sluice.api.v1.ListTopicsResponse;
import io.sluice.api.v1.PartitionDescription;
import io.sluice.api.v1.TopicDescription;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.internal.v1.AlterTopicConfig;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CreateTopic;
import io.sluice.internal.v1.DeleteTopic;
import io.sluice.internal.v1.PartitionState;
import io.sluice.internal.v1.TopicState;
import io.sluice.statemachine.LogCore;
import io.sluice.statemachine.TopicConfigs;
import java.util.Collections;
import java.util.List;

/** Topic administration: create and delete go through Raft; list and describe read local state. */
final class TopicService extends TopicServiceGrpc.TopicServiceImplBase {
  private final SluiceNode node;

  TopicService(SluiceNode node) {
    this.node = node;
  }

  @Override
  public void createTopic(CreateTopicRequest request, StreamObserver<CreateTopicResponse> observer) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setCreateTopic(CreateTopic.newBuilder().setName(request.getName()).setPartitions(request.getPartitions())
            .putAllConfigs(request.getConfigsMap())
            // Apply decides with these, so every replica refuses the same create (see LogCore).
            .setTopicsMax(node.config().getInt(NodeConfig.TOPICS_MAX))
            .setPartitionsTotalMax(node.config().getInt(NodeConfig.PARTITIONS_MAX)))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      TopicState t = outcome.result().getTopic();
      List<PartitionState> fresh = Collections.nCopies(t.getPartitions(), PartitionState.getDefaultInstance());
      return CreateTopicResponse.newBuilder().setTopic(describe(new LogCore.TopicView(t, fresh))).build();
    });
  }

  @Override
  public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> observer) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setDeleteTopic(DeleteTopic.newBuilder().setName(request.getName()))
        .build();
    Replies.propose(node, command, observer, outcome -> DeleteTopicResponse.getDefaultInstance());
  }

  @Override
  public void alterTopicConfig(AlterTopicConfigRequest request, StreamObserver<TopicDescription> observer) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setAlterTopicConfig(AlterTopicConfig.newBuilder().setName(request.getName())
            .putAllSet(request.getSetMap()).addAllReset(request.getResetList()))
        .build();
    Replies.propose(node, command, observer, outcome -> node.core().topicView(request.getName())
        .map(TopicService::describe)
        .orElseThrow(() -> Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, "topic '" + request.getName() + "' was deleted")));
  }

  @Override
  public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> observer) {
    ListTopicsResponse.Builder response = ListTopicsResponse.newBuilder();
    io.sluice.node.security.Principal principal = io.sluice.node.security.Principal.current();
    for (LogCore.TopicView v : node.core().topicViews()) {
      // Only the topics the caller may describe: a name alone can be sensitive.
      if (node.authorizer().allowed(principal, io.sluice.node.security.Authorizer.Kind.TOPIC, v.topic().getName(),
          io.sluice.api.v1.AclOperation.ACL_OPERATION_DESCRIBE)) {
        response.addTopics(describe(v));
      }
    }
    Replies.complete(observer, response.build(), null);
  }

  @Override
  public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> observer) {
    node.core().topicView(request.getName()).ifPresentOrElse(
        v -> Replies.complete(observer, describe(v), null),
        () -> Replies.fail(observer, Errors.notWritten(ErrorReason.UNKNOWN_TOPIC,
            "topic '" + request.getName() + "' does not exist")));
  }

  static TopicDescription describe(LogCore.TopicView v) {
    TopicDescription.Builder d = TopicDescription.newBuilder()
        .setName(v.topic().getName())
        .setTopicId(v.topic().getTopicId())
        .setCreatedTimeMs(v.topic().getCreatedTimeMs())
        .putAllConfigs(TopicConfigs.effective(v.topic()));
    for (int p = 0; p < v.partitions().size(); p++) {
      PartitionState s = v.partitions().get(p);
      d.addPartitions(PartitionDescription.newBuilder()
          .setPartition(p)
          .setLogStartOffset(s.getLogStartOffset())
          .setEndOffset(s.getNextOffset())
          .setBatchCount(s.getBatchCount())
          .setSizeBytes(s.getSizeBytes()));
    }
    return d.build();
  }
}
