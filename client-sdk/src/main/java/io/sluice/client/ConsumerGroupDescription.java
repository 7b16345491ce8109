package io.sluice.client;

import java.time.Duration;
import java.util.List;

/**
 * A consumer group as {@link Admin#describeGroup} reports it, from the answering node's applied
 * state. Immutable.
 *
 * @param groupId            the group id
 * @param state              EMPTY, PREPARING_REBALANCE or STABLE
 * @param generation         the group's generation
 * @param assignmentStrategy RANGE, ROUND_ROBIN or STICKY
 * @param members            members sorted by id
 * @param offsets            every partition the group has committed or assigned, sorted
 */
public record ConsumerGroupDescription(String groupId, String state, int generation, String assignmentStrategy,
    List<Member> members, List<PartitionOffset> offsets) {

  /**
   * @param memberId       id the group gave the member
   * @param clientId       the client's self-chosen name
   * @param topics         subscribed topics
   * @param sessionTimeout how long the member may go without a heartbeat
   * @param assignment     partitions in the current generation (empty while rebalancing)
   */
  public record Member(String memberId, String clientId, List<String> topics, Duration sessionTimeout,
      List<TopicPartition> assignment) {}

  /**
   * @param partition       the partition
   * @param committedOffset committed offset, -1 when none
   * @param endOffset       the partition's end offset on the answering node
   * @param lag             records between the committed offset (or the log start) and the end
   * @param memberId        owner in the current generation, "" when none
   * @param metadata        metadata stored with the commit
   */
  public record PartitionOffset(TopicPartition partition, long committedOffset, long endOffset, long lag,
      String memberId, String metadata) {}
}
