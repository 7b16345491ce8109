package io.sluice.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Topic and cluster administration. Get it from {@link SluiceClient#admin()}. Thread-safe.
 *
 * <p>Topic creation and deletion go to the leader; the reads go to the leader when known, else
 * to any node (a follower may lag by a few entries). Each operation retries failures known to be
 * retriable and not written (no leader, not leader, node not ready, node unreachable), following
 * leader hints, for at most twice the client's requestTimeout; each attempt is bounded by
 * requestTimeout. Futures fail with {@link SluiceException}s; a create or delete whose outcome is
 * unknown fails with {@link IndeterminateException} and is not retried.
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
   */
  CompletableFuture<TopicInfo> createTopic(String name, int partitions, java.util.Map<String, String> configs);

  /**
   * Sets configuration keys of a topic and returns others to their defaults; returns the topic
   * with its new effective configuration. Fails with {@link UnknownTopicException} or
   * {@link InvalidRequestException}.
   */
  CompletableFuture<TopicInfo> alterTopicConfig(String name, java.util.Map<String, String> set,
      java.util.Collection<String> reset);

  /** Deletes a topic and its records; fails with {@link UnknownTopicException} if absent. */
  CompletableFuture<Void> deleteTopic(String name);

  /** Every topic, sorted by name. */
  CompletableFuture<List<TopicInfo>> listTopics();

  /** One topic with its partitions' offsets; fails with {@link UnknownTopicException} if absent. */
  CompletableFuture<TopicInfo> describeTopic(String name);

  /** The cluster's members and leader, as the first node to answer (preferring one that knows a leader) sees them. */
  CompletableFuture<ClusterInfo> describeCluster();

  /**
   * The Raft status of the node at {@code clientAddress} (host:port), asked of that node only.
   * Fails with {@link UnavailableException} or {@link TimeoutException} when it is unreachable.
   */
  CompletableFuture<NodeStatus> nodeStatus(String clientAddress);
}
