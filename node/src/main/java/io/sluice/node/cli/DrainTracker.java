package io.sluice.node.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Function;

/**
 * For {@code consume} without {@code --follow}: which partitions still have records below the end
 * offsets observed at start. A partition is drained once the consumer's position reaches its end
 * offset. Records at or past that end arrived later and are not printed, so the output is the
 * snapshot taken at start.
 *
 * <p>Not thread-safe.
 *
 * @param <P> the partition identifier
 */
final class DrainTracker<P> {

  private final Map<P, Long> endOffsets;
  private final Map<P, Long> positions;

  /**
   * @param startPositions each partition's position before the first fetch
   * @param endOffsets each partition's end offset (exclusive) at start
   */
  DrainTracker(Map<P, Long> startPositions, Map<P, Long> endOffsets) {
    this.endOffsets = new LinkedHashMap<>(endOffsets);
    this.positions = new LinkedHashMap<>();
    for (P partition : endOffsets.keySet()) {
      Long start = startPositions.get(partition);
      if (start == null) {
        throw new IllegalArgumentException("no start position for " + partition);
      }
      positions.put(partition, start);
    }
  }

  /** Whether a record at {@code offset} of {@code partition} belongs to the snapshot. */
  boolean include(P partition, long offset) {
    Long end = endOffsets.get(partition);
    return end != null && offset < end;
  }

  /**
   * Records the consumer's position in a partition.
   *
   * @return whether the position moved forward
   */
  boolean observe(P partition, long position) {
    Long previous = positions.get(partition);
    if (previous == null || position <= previous) {
      return false;
    }
    positions.put(partition, position);
    return true;
  }

  boolean isDrained(P partition) {
    return positions.get(partition) >= endOffsets.get(partition);
  }

  boolean drained() {
    for (P partition : endOffsets.keySet()) {
      if (!isDrained(partition)) {
        return false;
      }
    }
    return true;
  }

  /**
   * "orders-0 at 5 of 10, orders-2 at 0 of 3" for the partitions not yet drained, in the order the
   * end offsets were given.
   */
  String describeRemaining(Function<P, String> name) {
    StringJoiner remaining = new StringJoiner(", ");
    for (P partition : endOffsets.keySet()) {
      if (!isDrained(partition)) {
        remaining.add(
            name.apply(partition)
                + " at "
                + positions.get(partition)
                + " of "
                + endOffsets.get(partition));
      }
    }
    return remaining.toString();
  }
}
