package io.sluice.chaos.workload;

import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRebalanceListener;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicPartition;
import io.sluice.client.WriteOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * One member of the workload's consumer group: subscribes to the topic, records every poll with
 * the records it returned and an {@code assign} at every new assignment (each partition at the
 * position the group gave it), and commits what it has polled with {@code commitSync}: every
 * commit interval, in {@code onPartitionsRevoked}, and once more before it stops. Each commit is
 * recorded: {@code fail} only for {@link CommitFailedException} (the group fenced it, nothing was
 * written), {@code info} for any other error (the commit may have been stored).
 *
 * <p>Runs on one thread; the rebalance listener runs on it too, inside {@code poll} (the SDK
 * consumer is not thread-safe).
 */
final class GroupConsumerProcess implements Runnable {

  private final String name;
  private final Consumer consumer;
  private final HistoryWriter history;
  private final String topic;
  private final String group;
  private final Duration pollTimeout;
  private final long commitIntervalNs;
  private final BooleanSupplier running;
  /** Per owned partition, the offset after the last record polled: what a commit stores. */
  private final Map<TopicPartition, Long> polledNext = new LinkedHashMap<>();
  private long lastCommitNs;

  GroupConsumerProcess(String name, Consumer consumer, HistoryWriter history, WorkloadConfig config,
      BooleanSupplier running) {
    this.name = name;
    this.consumer = consumer;
    this.history = history;
    this.topic = config.topic();
    this.group = config.group();
    this.pollTimeout = config.pollTimeout();
    this.commitIntervalNs = config.commitInterval().toNanos();
    this.running = running;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(topic), new Listener());
      lastCommitNs = System.nanoTime();
      while (running.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
        pollOnce();
        if (System.nanoTime() - lastCommitNs >= commitIntervalNs) {
          commit(new ArrayList<>(polledNext.keySet()));
          lastCommitNs = System.nanoTime();
        }
      }
      commit(new ArrayList<>(polledNext.keySet()));
    } finally {
      consumer.close();
    }
  }

  private void pollOnce() {
    HistoryWriter.Op op = history.invoke(name, new OpValue.Poll(group, null));
    try {
      List<ConsumerRecord> records = consumer.poll(pollTimeout);
      List<OpValue.Read> reads = new ArrayList<>(records.size());
      for (ConsumerRecord record : records) {
        reads.add(new OpValue.Read(record.topic(), record.partition(), record.offset(),
            ConsumerProcess.text(record.key()), ConsumerProcess.text(record.value())));
        polledNext.put(new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
      }
      op.ok(new OpValue.Poll(group, reads));
    } catch (RuntimeException e) {
      op.fail(String.valueOf(e));
      sleepQuietly(pollTimeout);
    }
  }

  /** Commits the polled positions of {@code partitions} (those this member polled from), recording it. */
  private void commit(Collection<TopicPartition> partitions) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
    List<OpValue.Position> positions = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      Long next = polledNext.get(tp);
      if (next != null) {
        offsets.put(tp, OffsetAndMetadata.of(next));
        positions.add(new OpValue.Position(tp.topic(), tp.partition(), next));
      }
    }
    if (offsets.isEmpty()) {
      return;
    }
    OpValue.Commit value = new OpValue.Commit(group, generation(), positions);
    HistoryWriter.Op op = history.invoke(name, value);
    try {
      consumer.commitSync(offsets);
      op.ok(value);
    } catch (CommitFailedException e) {
      op.fail("CommitFailedException " + e.reason() + ": " + e.getMessage());
    } catch (SluiceException e) {
      String text = e.getClass().getSimpleName() + " " + e.reason() + ": " + e.getMessage();
      if (e.writeOutcome() == WriteOutcome.NOT_WRITTEN) {
        op.fail(text);
      } else {
        op.info(text);
      }
    } catch (RuntimeException e) {
      // Not known to be refused: the commit may have been stored.
      op.info(String.valueOf(e));
    }
  }

  private Integer generation() {
    try {
      return consumer.groupMetadata().generation();
    } catch (IllegalStateException e) {
      return null;
    }
  }

  private static void sleepQuietly(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Commits on revoke; records each new assignment with the position the group resumes it at. */
  private final class Listener implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      commit(partitions);
      // Once revoked, what this member polled of a partition is stale: another member may commit
      // beyond it, and committing it again later would move the group's offset back.
      polledNext.keySet().removeAll(Set.copyOf(partitions));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // The group's position of each partition now counts, not what this member polled before.
      polledNext.clear();
      List<OpValue.Position> positions = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        long offset;
        try {
          offset = consumer.position(tp);
        } catch (RuntimeException e) {
          offset = -1; // Not known now; the checker takes the first read as the position.
        }
        positions.add(new OpValue.Position(tp.topic(), tp.partition(), offset));
      }
      history.assign(name, new OpValue.Assign(group, generation(), positions));
    }
  }
}
