package io.sluice.chaos.report;

import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.chaos.history.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The time series a report plots, computed from a history: fault intervals, and per time bucket the
 * writes completed by outcome and the write latency percentiles. Immutable after construction.
 */
final class Timeline {

  /** A fault from start to end (end = the history's end when it never healed). */
  record FaultInterval(String id, String fault, String description, long startNs, long endNs, boolean healed) {}

  static final int BUCKETS_MAX = 120;

  final long endNs;
  final long bucketNs;
  final int buckets;
  final List<FaultInterval> faults = new ArrayList<>();
  final long[] okPerBucket;
  final long[] failPerBucket;
  final long[] infoPerBucket;
  final double[] latencyP50Ms;
  final double[] latencyP99Ms;
  final double[] latencyMaxMs;

  Timeline(History history) {
    endNs = Math.max(1, history.endNs());
    // At least one second per bucket, at most BUCKETS_MAX buckets.
    bucketNs = Math.max(1_000_000_000L, (endNs + BUCKETS_MAX - 1) / BUCKETS_MAX);
    buckets = (int) (endNs / bucketNs) + 1;
    okPerBucket = new long[buckets];
    failPerBucket = new long[buckets];
    infoPerBucket = new long[buckets];
    latencyP50Ms = new double[buckets];
    latencyP99Ms = new double[buckets];
    latencyMaxMs = new double[buckets];
    faults(history);
    writes(history);
  }

  private void faults(History history) {
    Map<String, Event> open = new LinkedHashMap<>();
    for (Event event : history.observations(OpFunction.NEMESIS)) {
      OpValue.Nemesis nemesis = (OpValue.Nemesis) event.value();
      if (nemesis.isStart()) {
        open.put(nemesis.id(), event);
      } else {
        Event start = open.remove(nemesis.id());
        if (start != null) {
          OpValue.Nemesis begun = (OpValue.Nemesis) start.value();
          faults.add(new FaultInterval(begun.id(), begun.fault(), begun.description(), start.timeNs(), event.timeNs(), true));
        }
      }
    }
    for (Event start : open.values()) {
      OpValue.Nemesis begun = (OpValue.Nemesis) start.value();
      faults.add(new FaultInterval(begun.id(), begun.fault(), begun.description(), start.timeNs(), endNs, false));
    }
    faults.sort((a, b) -> Long.compare(a.startNs(), b.startNs()));
  }

  private void writes(History history) {
    List<List<Long>> latencies = new ArrayList<>();
    for (int i = 0; i < buckets; i++) {
      latencies.add(new ArrayList<>());
    }
    for (Operation op : history.operations()) {
      if ((op.f() != OpFunction.SEND && op.f() != OpFunction.ATOMIC) || op.completion() == null) {
        continue;
      }
      int bucket = bucket(op.completeNs());
      if (op.outcome() == OpType.OK) {
        okPerBucket[bucket]++;
        latencies.get(bucket).add(op.completeNs() - op.invokeNs());
      } else if (op.outcome() == OpType.FAIL) {
        failPerBucket[bucket]++;
      } else {
        infoPerBucket[bucket]++;
      }
    }
    for (int i = 0; i < buckets; i++) {
      long[] sorted = latencies.get(i).stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(sorted);
      latencyP50Ms[i] = percentileMs(sorted, 0.50);
      latencyP99Ms[i] = percentileMs(sorted, 0.99);
      latencyMaxMs[i] = sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    }
  }

  private static double percentileMs(long[] sorted, double quantile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
    return sorted[Math.max(0, index)] / 1e6;
  }

  int bucket(long timeNs) {
    return (int) Math.min(buckets - 1, Math.max(0, timeNs / bucketNs));
  }

  /** Writes per second in a bucket. */
  double perSecond(long count) {
    return count * 1e9 / bucketNs;
  }
}
