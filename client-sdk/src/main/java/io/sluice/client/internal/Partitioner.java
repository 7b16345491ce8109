package io.sluice.client.internal;

import io.sluice.client.PartitionerKind;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the partition of a record that names none. {@link PartitionerKind#DEFAULT}: keyed records
 * by {@code toPositive(murmur2(key)) % partitions}; null keys to the topic's sticky partition,
 * which moves to another random partition when a batch of it is closed.
 * {@link PartitionerKind#ROUND_ROBIN}: every record to the next partition.
 *
 * <p>Thread-safe (the producer calls it under its accumulator lock anyway).
 */
public final class Partitioner {
  private record Sticky(int partition, int count) {}

  private final PartitionerKind kind;
  private final ConcurrentHashMap<String, Sticky> sticky = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> roundRobin = new ConcurrentHashMap<>();

  public Partitioner(PartitionerKind kind) {
    this.kind = kind;
  }

  /** Whether a record with this key is placed by the sticky rule. */
  public boolean isSticky(byte[] key) {
    return kind == PartitionerKind.DEFAULT && key == null;
  }

  /** The partition for a record of {@code topic} with {@code key} (may be null); {@code count} > 0. */
  public int partition(String topic, byte[] key, int count) {
    if (kind == PartitionerKind.ROUND_ROBIN) {
      int next = roundRobin.computeIfAbsent(topic, t -> new AtomicInteger()).getAndIncrement();
      return Murmur2.toPositive(next) % count;
    }
    if (key != null) {
      return Murmur2.toPositive(Murmur2.hash(key)) % count;
    }
    Sticky s = sticky.compute(topic, (t, old) ->
        old == null || old.count() != count ? new Sticky(ThreadLocalRandom.current().nextInt(count), count) : old);
    return s.partition();
  }

  /** A batch of {@code topic}/{@code partition} was closed: move the sticky partition away from it. */
  public void onBatchClosed(String topic, int partition) {
    sticky.computeIfPresent(topic, (t, old) -> old.partition() != partition ? old
        : new Sticky(otherThan(old.partition(), old.count()), old.count()));
  }

  private static int otherThan(int current, int count) {
    if (count < 2) {
      return 0;
    }
    int r = ThreadLocalRandom.current().nextInt(count - 1);
    return r >= current ? r + 1 : r;
  }
}
