package io.sluice.statemachine;

import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.ListOffsetsResponse;
import io.sluice.api.v1.PartitionOffsets;
import io.sluice.api.v1.PartitionRef;
import io.sluice.internal.v1.PartitionState;

/**
 * Answers a ListOffsets request from a core's applied state. The same code serves the local
 * (possibly lagging) read and the linearizable one that Ratis runs after ReadIndex.
 */
public final class OffsetsQuery {
  private OffsetsQuery() {}

  /** @throws IllegalArgumentException naming the first topic or partition that does not exist */
  public static ListOffsetsResponse answer(LogCore core, ListOffsetsRequest request) {
    ListOffsetsResponse.Builder response = ListOffsetsResponse.newBuilder().setAppliedIndex(core.applied().index());
    for (PartitionRef ref : request.getPartitionsList()) {
      LogCore.TopicView view = core.topicView(ref.getTopic())
          .orElseThrow(() -> new IllegalArgumentException("topic '" + ref.getTopic() + "' does not exist"));
      if (ref.getPartition() < 0 || ref.getPartition() >= view.partitions().size()) {
        throw new IllegalArgumentException("topic '" + ref.getTopic() + "' has no partition " + ref.getPartition());
      }
      PartitionState s = view.partitions().get(ref.getPartition());
      response.addPartitions(PartitionOffsets.newBuilder()
          .setTopic(ref.getTopic()).setPartition(ref.getPartition())
          .setLogStartOffset(s.getLogStartOffset()).setEndOffset(s.getNextOffset()));
    }
    return response.build();
  }
}
