package io.sluice.client;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads committed records, each partition from its own position: from partitions assigned by hand
 * ({@link #assign}), or as a member of a consumer group ({@link #subscribe}, with
 * {@link ConsumerConfig.Builder#groupId}), where the cluster spreads the subscribed topics'
 * partitions over the group's members and the positions start at the group's committed offsets.
 * Get one from {@link SluiceClient#newConsumer}.
 *
 * <p>Group delivery guarantee: at-least-once after the last commit. A partition's next owner starts
 * at the group's last committed offset, never below it, so a record whose offset was committed is
 * never delivered to the group again; records delivered but not yet committed when their partition
 * moves (a rebalance, a crash) are delivered again to the new owner. A commit from a member whose
 * generation is over is fenced ({@link CommitFailedException}, nothing written).
 *
 * <p>NOT thread-safe (like Kafka's consumer): use it from one thread at a time.
 *
 * <p>Fetches go to the leader when known, else to any reachable node (every node serves
 * committed data); when a node is unreachable the next one is tried. Each fetched batch's CRC is
 * verified. Blocking methods throw {@link SluiceException}s unwrapped; the metadata methods
 * (partitionsFor, seekToBeginning, seekToEnd, endOffsets) are bounded like
 * {@link Admin} operations.
 */
public interface Consumer extends AutoCloseable {

  /**
   * Replaces the assignment with {@code partitions}. A partition already assigned keeps its
   * position; a new one starts at offset 0.
   *
   * @param partitions the partitions to read; replaces the previous assignment
   */
  void assign(Collection<TopicPartition> partitions);

  /**
   * Every partition of {@code topic}. @throws UnknownTopicException when it does not exist
   *
   * @param topic topic name
   * @return every partition of {@code topic}
   */
  List<TopicPartition> partitionsFor(String topic);

  /**
   * Sets the next offset to read from an assigned partition.
   *
   * @param tp an assigned partition
   * @param offset the next offset to read, zero or more
   * @throws IllegalStateException    when {@code tp} is not assigned
   * @throws IllegalArgumentException when {@code offset} is negative
   */
  void seek(TopicPartition tp, long offset);

  /**
   * Moves each partition to its log start offset (the first offset still stored).
   *
   * @param tps assigned partitions
   */
  void seekToBeginning(Collection<TopicPartition> tps);

  /**
   * Moves each partition to its end offset (the offset the next record will get).
   *
   * @param tps assigned partitions
   */
  void seekToEnd(Collection<TopicPartition> tps);

  /**
   * Next offset to be read from an assigned partition. @throws IllegalStateException if not assigned
   *
   * @param tp an assigned partition
   * @return next offset to be read from an assigned partition
   */
  long position(TopicPartition tp);

  /**
   * End offset (the offset the next record will get) of each partition, read linearizably: it
   * includes every record acknowledged before this call, whichever node answers.
   *
   * @param tps the partitions
   * @return end offset (the offset the next record will get) of each partition, read linearizably: it includes every record acknowledged before this call, whichever node answers
   */
  Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> tps);

  /**
   * Fetches records at the assigned positions, waiting up to {@code timeout} for some to arrive,
   * and advances the positions past what it returns. Records of a partition are in offset order;
   * records below the position are skipped.
   *
   * <p>Returns an empty list when the timeout passes with no records, including when no node
   * answered (retriable failures are retried on other nodes until then). The call may overrun
   * {@code timeout} by up to the client's requestTimeout when a node stops answering mid-call.
   *
   * @param timeout longest to wait for records; zero or more
   * @throws CorruptRecordException   when a batch fails its CRC (the position stays before it)
   * @throws OffsetOutOfRangeException when a position is below its partition's log start offset
   * @throws UnknownTopicException    when an assigned topic does not exist
   * @throws IllegalStateException    when no partition is assigned or the consumer is closed
   * @return the records fetched, per partition in offset order; empty when none arrived in time
   */
  List<ConsumerRecord> poll(Duration timeout);

  /**
   * Joins the group of {@link ConsumerConfig#groupId()} (when poll is next called) to consume
   * {@code topics}; the group decides which of their partitions this consumer reads. Replaces a
   * manual assignment. Topics that do not exist yet get partitions once created and the group
   * rebalances (a new member or a leave).
   *
   * @param topics the topics to consume; replaces the previous subscription
   * @throws IllegalStateException when the consumer has no groupId
   */
  default void subscribe(Collection<String> topics) {
    subscribe(topics, ConsumerRebalanceListener.NONE);
  }

  /**
   * Like {@link #subscribe(Collection)}, calling {@code listener} on every rebalance, on the
   * thread calling poll (inside it).
   *
   * @param topics the topics to consume; replaces the previous subscription
   * @param listener told of revoked and assigned partitions; {@link ConsumerRebalanceListener#NONE}
   *     for none
   * @throws IllegalStateException when the consumer has no groupId
   */
  void subscribe(Collection<String> topics, ConsumerRebalanceListener listener);

  /** Leaves the group (after committing, with auto-commit), and drops the assignment. */
  void unsubscribe();

  /**
   * The partitions currently assigned (by hand or by the group); empty while rebalancing.
   *
   * @return an immutable copy of the current assignment
   */
  java.util.Set<TopicPartition> assignment();

  /**
   * Commits the current position of every assigned partition (the records poll returned so far)
   * under the member's generation, and waits for it (bounded like Admin calls). With nothing
   * assigned there is nothing to commit and it returns at once.
   *
   * @throws CommitFailedException when the group fenced it (rebalanced, or the member was expired)
   * @throws IllegalStateException when the consumer has no groupId or is closed
   */
  void commitSync();

  /**
   * Commits {@code offsets} under the member's generation and waits for it (bounded like Admin
   * calls); an empty map commits nothing.
   *
   * @param offsets per partition, the offset of the next record to consume (last processed + 1)
   * @throws CommitFailedException when the group fenced it (rebalanced, or the member was expired)
   * @throws IllegalStateException when the consumer has no groupId or is closed
   */
  void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets);

  /**
   * Commits the current position of every assigned partition without waiting.
   *
   * @return completes when the commit is stored; fails like {@link #commitSync()} (with
   *     {@link CommitFailedException} when fenced)
   * @throws IllegalStateException when the consumer has no groupId or is closed
   */
  java.util.concurrent.CompletableFuture<Void> commitAsync();

  /**
   * Commits {@code offsets} without waiting.
   *
   * @param offsets per partition, the offset of the next record to consume (last processed + 1)
   * @return completes when the commit is stored (at once for an empty map); fails like
   *     {@link #commitSync(Map)}
   * @throws IllegalStateException when the consumer has no groupId or is closed
   */
  java.util.concurrent.CompletableFuture<Void> commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets);

  /**
   * The group's committed offsets of {@code partitions}, read from the cluster (bounded like
   * Admin calls). Works whether or not this consumer owns the partitions.
   *
   * @param partitions the partitions to look up
   * @return the committed offset per partition; a partition without a commit is absent
   * @throws IllegalStateException when the consumer has no groupId or is closed
   */
  Map<TopicPartition, OffsetAndMetadata> committed(Collection<TopicPartition> partitions);

  /**
   * Who this consumer is in its group now, for an atomic write that commits the group's offsets
   * with its records ({@code Producer.sendAtomically(records, offsets, groupMetadata)}).
   *
   * @return the group id, member id and generation as of now; the write is fenced if the
   *     generation has ended by the time it arrives
   * @throws IllegalStateException when the consumer is not a group member with an assignment
   */
  ConsumerGroupMetadata groupMetadata();

  /**
   * Releases the consumer; a group member first commits its positions (with auto-commit) and
   * leaves the group, so the others rebalance at once. Later calls throw IllegalStateException.
   * Idempotent.
   */
  @Override
  void close();
}
