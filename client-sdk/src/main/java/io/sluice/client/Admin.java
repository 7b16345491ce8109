package io.sluice.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Topic and cluster administration. Get it from {@link SluiceClient#admin()}. Thread-safe.
 *
 * <p>Topic creation and deletion and the membership changes go to the leader; the reads go to the
 * leader when known, else to any node (a follower may lag by a few entries). Each operation
 * retries failures known to be retriable and not written (no leader, not leader, node not ready,
 * node unreachable, another membership change under way), following leader hints, for at most
 * twice the client's requestTimeout; each attempt is bounded by requestTimeout. Futures fail with
 * {@link SluiceException}s; a write or membership change whose outcome is unknown fails with
 * {@link IndeterminateException} and is not retried.
 */
public interface Admin {

  /**
   * Creates a topic.
   *
   * @param name       1 to 249 characters from [a-zA-Z0-9._-]
   * @param partitions number of partitions, 1 to the cluster's maximum
   * @return the topic as created; fails with {@link TopicExistsException},
   *     {@link InvalidRequestException}, ...
   */
  default CompletableFuture<TopicInfo> createTopic(String name, int partitions) {
    return createTopic(name, partitions, java.util.Map.of());
  }

  /**
   * Creates a topic with configuration overrides (keys such as {@code retention.ms},
   * {@code retention.bytes}; unknown keys or bad values fail with {@link InvalidRequestException}).
   *
   * @param name topic name: 1 to 249 characters of [a-zA-Z0-9._-]
   * @param partitions number of partitions, at least 1 (the cluster caps it, 1000 by default)
   * @param configs topic configuration (e.g. retention.ms), empty for the defaults
   * @return the new topic
   */
  CompletableFuture<TopicInfo> createTopic(String name, int partitions, java.util.Map<String, String> configs);

  /**
   * Sets configuration keys of a topic and returns others to their defaults; returns the topic
   * with its new effective configuration. Fails with {@link UnknownTopicException} or
   * {@link InvalidRequestException}.
   *
   * @param name topic name
   * @param set keys to set, with their values
   * @param reset keys to return to their defaults
   * @return the topic with its configuration after the change
   */
  CompletableFuture<TopicInfo> alterTopicConfig(String name, java.util.Map<String, String> set,
      java.util.Collection<String> reset);

  /**
   * Deletes a topic and its records; fails with {@link UnknownTopicException} if absent.
   *
   * @param name topic name
   * @return completes when the topic is deleted
   */
  CompletableFuture<Void> deleteTopic(String name);

  /**
   * Every topic, sorted by name.
   *
   * @return every topic, sorted by name
   */
  CompletableFuture<List<TopicInfo>> listTopics();

  /**
   * One topic with its partitions' offsets; fails with {@link UnknownTopicException} if absent.
   *
   * @param name topic name
   * @return one topic with its partitions' offsets
   */
  CompletableFuture<TopicInfo> describeTopic(String name);

  /**
   * The cluster's members and leader, as the first node to answer (preferring one that knows a leader) sees them.
   *
   * @return the cluster's members and leader, as the first node to answer (preferring one that knows a leader) sees them
   */
  CompletableFuture<ClusterInfo> describeCluster();

  /**
   * The Raft status of the node at {@code clientAddress} (host:port), asked of that node only.
   * Fails with {@link UnavailableException} or {@link TimeoutException} when it is unreachable.
   *
   * @param clientAddress host:port of the node's client API
   * @return the Raft status of the node at {@code clientAddress} (host:port), asked of that node only
   */
  CompletableFuture<NodeStatus> nodeStatus(String clientAddress);

  /**
   * Adds a node to the Raft group. Start it first with {@code join} ({@code sluice server --join
   * …}); the leader adds it as a non-voting listener, sends it the log (or a snapshot), and
   * promotes it to voter once it has caught up. Sent to the leader; takes as long as the catch-up
   * (bounded by the client's requestTimeout per attempt, so give this client a long one). Adding a
   * voter that is already a member at the same address succeeds without change.
   *
   * @param nodeId      the new node's {@code node.id}
   * @param raftAddress host:port of its Raft endpoint ({@code raft.listen})
   * @return the membership afterwards; fails with {@link MembershipException} (NODE_EXISTS,
   *     NODE_NOT_CAUGHT_UP, RECONFIGURATION_IN_PROGRESS), or {@link IndeterminateException} when
   *     the change may or may not have happened
   */
  CompletableFuture<ClusterInfo> addNode(String nodeId, String raftAddress);

  /**
   * Removes a member (voter or listener). Refused (QUORUM_AT_RISK) when the voters left would not
   * have a reachable majority; removing the leader first moves leadership to another voter. Stop
   * the removed node afterwards and delete its data directory.
   *
   * @param nodeId id of the member to remove
   * @return the membership afterwards; fails with {@link MembershipException} (UNKNOWN_NODE,
   *     QUORUM_AT_RISK, RECONFIGURATION_IN_PROGRESS) or {@link IndeterminateException}
   */
  CompletableFuture<ClusterInfo> removeNode(String nodeId);

  /**
   * Makes the voter {@code nodeId} the leader (the current leader first brings it up to date).
   *
   * @param nodeId id of the member to lead
   * @return the leader's id afterwards; fails with {@link MembershipException} (UNKNOWN_NODE,
   *     LEADER_TRANSFER_FAILED)
   */
  CompletableFuture<String> transferLeader(String nodeId);

  /**
   * Has the node at {@code clientAddress} (host:port) take a snapshot of its state now, asked of
   * that node only.
   *
   * @param clientAddress host:port of the node's client API
   * @return the Raft index its latest snapshot covers (-1 when it has applied nothing)
   */
  CompletableFuture<Long> takeSnapshot(String clientAddress);

  /**
   * Every consumer group, sorted by id, from the answering node's applied state (a follower may
   * lag by a few entries).
   *
   * @return every consumer group, with its state and protocol, sorted by group id
   */
  CompletableFuture<List<ConsumerGroupListing>> listGroups();

  /**
   * A consumer group's members, assignment, and per partition the committed offset and lag.
   * Fails with {@link GroupException} (UNKNOWN_GROUP) when absent.
   *
   * @param groupId the group's id
   * @return the group's state, generation, members with their partitions, and per partition the
   *     committed offset and lag (end offset minus committed offset)
   */
  CompletableFuture<ConsumerGroupDescription> describeGroup(String groupId);

  /**
   * Sets the group's committed offset of every partition of {@code topic} to its log start
   * ({@link OffsetResetPolicy#EARLIEST}) or end ({@link OffsetResetPolicy#LATEST}) offset. Only
   * while the group has no members: fails with {@link GroupException} (GROUP_NOT_EMPTY) otherwise.
   *
   * @param groupId the group's id
   * @param topic   the topic whose partitions are reset (all of them); fails with
   *     {@link UnknownTopicException} when absent
   * @param to      {@link OffsetResetPolicy#EARLIEST} or {@link OffsetResetPolicy#LATEST}
   * @return the offsets now committed, per partition of {@code topic}
   */
  CompletableFuture<java.util.Map<TopicPartition, Long>> resetOffsets(String groupId, String topic,
      OffsetResetPolicy to);

  /**
   * Like {@link #resetOffsets(String, String, OffsetResetPolicy)} to {@code offset} (at least 0),
   * clamped per partition into [log start offset, end offset].
   *
   * @param groupId the group's id
   * @param topic   the topic whose partitions are reset (all of them)
   * @param offset  the offset to commit for every partition; at least 0
   * @return the offsets now committed, per partition of {@code topic}, after clamping
   */
  CompletableFuture<java.util.Map<TopicPartition, Long>> resetOffsets(String groupId, String topic, long offset);

  /**
   * Deletes a group and its committed offsets; only while it has no members (GROUP_NOT_EMPTY).
   * Fails with {@link GroupException} (UNKNOWN_GROUP) when absent.
   *
   * @param groupId the group's id
   * @return completes when the group is deleted
   */
  CompletableFuture<Void> deleteGroup(String groupId);

  /**
   * Creates a bearer token for {@code principal} (cluster admin only). The returned secret is shown
   * once: the cluster stores only its SHA-256.
   *
   * @param principal the principal the token authenticates as
   * @param name      a label for people; may be empty
   * @return the new token with its secret
   */
  CompletableFuture<CreatedToken> createToken(String principal, String name);

  /**
   * Revokes a token (cluster admin only): every node refuses it once it applied the revocation,
   * and open consumer streams using it end with {@link AuthenticationException}.
   *
   * @param id the token's id
   * @return completes when revoked; fails with UNKNOWN_TOKEN for an unknown id
   */
  CompletableFuture<Void> revokeToken(String id);

  /**
   * Every live token, without secrets (cluster admin only).
   *
   * @return the tokens, oldest first
   */
  CompletableFuture<List<AuthToken>> listTokens();

  /**
   * Adds an allow rule (cluster admin only); adding an existing one changes nothing.
   *
   * @param acl the rule
   * @return completes when added
   */
  CompletableFuture<Void> addAcl(Acl acl);

  /**
   * Removes a rule (cluster admin only).
   *
   * @param acl the rule
   * @return whether it existed
   */
  CompletableFuture<Boolean> removeAcl(Acl acl);

  /**
   * Every rule (cluster admin only).
   *
   * @return the rules, sorted by principal, resource and operation
   */
  CompletableFuture<List<Acl>> listAcls();

  /**
   * Sets (creates or replaces) a principal's byte-rate quota for the whole cluster (cluster admin
   * only). Every node applies it once it has the change; it takes precedence over the nodes'
   * configured overrides and the defaults.
   *
   * @param quota the principal and its rates (0 unlimited)
   * @return completes when the leader applied it; fails with {@link ResourceExhaustedException}
   *     (TOO_MANY_QUOTAS) when the cluster holds {@code quota.overrides.max} quotas already, or
   *     {@link InvalidRequestException} for a bad principal name
   */
  CompletableFuture<Void> setQuota(Quota quota);

  /**
   * Removes a principal's replicated quota (cluster admin only); the principal then falls back to the
   * node's configured override, else the defaults.
   *
   * @param principal the principal name
   * @return whether it had one
   */
  CompletableFuture<Boolean> removeQuota(String principal);

  /**
   * Every replicated quota (cluster admin only). Quotas from node configuration are not listed.
   *
   * @return the quotas, sorted by principal
   */
  CompletableFuture<List<Quota>> listQuotas();
}
