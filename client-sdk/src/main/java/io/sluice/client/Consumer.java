package io.sluice.client;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads committed records from manually assigned partitions, each from its own position.
 * Get one from {@link SluiceClient#newConsumer}.
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

  /** Releases the consumer; later calls throw IllegalStateException. Idempotent. */
  @Override
  void close();
}
