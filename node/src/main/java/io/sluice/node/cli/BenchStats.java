package io.sluice.node.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Counts and latencies of one {@code sluice bench} run, with progress lines while it runs and one
 * result at the end.
 *
 * <p>Thread-safe for recording ({@link #recordSuccess}, {@link #recordError}: any thread, e.g.
 * the SDK's completion threads); {@link #progress} and {@link #finish} must be called from one
 * thread at a time (they swap the recorder's interval histogram).
 *
 * <p>Latencies are recorded in microseconds (HdrHistogram, 3 significant digits, up to 1 hour) and
 * reported in milliseconds.
 */
final class BenchStats {

  private static final long LATENCY_US_MAX = TimeUnit.HOURS.toMicros(1);
  private static final double MIB = 1024.0 * 1024.0;

  private final boolean withLatency;
  private final Recorder recorder = new Recorder(LATENCY_US_MAX, 3);
  private final Histogram total = new Histogram(LATENCY_US_MAX, 3);
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final long startNanos;
  /** Completion time of the latest success, and the longest interval between two (or from the start to the first). */
  private long lastSuccessNanos;
  private long successGapNanosMax;
  private long successGapEndNanos;
  private final Object gapLock = new Object();
  private long lastProgressNanos;
  private long lastProgressRecords;
  private long lastProgressBytes;
  private volatile Throwable firstError;

  /** @param withLatency false for runs that measure no per-record latency (consume) */
  BenchStats(boolean withLatency, long startNanos) {
    this.withLatency = withLatency;
    this.startNanos = startNanos;
    this.lastProgressNanos = startNanos;
  }

  /** One record done: acknowledged (produce), received (e2e) or read (consume). */
  void recordSuccess(int recordBytes, long latencyNanos) {
    recordSuccess(recordBytes, latencyNanos, System.nanoTime());
  }

  /** {@link #recordSuccess(int, long)} completed at {@code nowNanos} ({@link System#nanoTime()}). */
  void recordSuccess(int recordBytes, long latencyNanos, long nowNanos) {
    records.incrementAndGet();
    bytes.addAndGet(recordBytes);
    if (withLatency) {
      recorder.recordValue(Math.min(LATENCY_US_MAX, Math.max(0, latencyNanos / 1_000)));
      noteSuccessAt(nowNanos);
    }
  }

  /**
   * Tracks the longest time without a success: after a leader is killed under a steady load this
   * is the gap between the last acknowledgement before and the first after (bench/run.sh failover).
   */
  private void noteSuccessAt(long nowNanos) {
    synchronized (gapLock) {
      long previous = lastSuccessNanos == 0 ? startNanos : lastSuccessNanos;
      if (nowNanos - previous > successGapNanosMax) {
        successGapNanosMax = nowNanos - previous;
        successGapEndNanos = nowNanos;
      }
      lastSuccessNanos = Math.max(lastSuccessNanos, nowNanos);
    }
  }

  /** Several records read at once, without latency (consume). */
  void recordRead(long count, long recordBytes) {
    records.addAndGet(count);
    bytes.addAndGet(recordBytes);
  }

  void recordError(Throwable error) {
    errors.incrementAndGet();
    if (firstError == null) {
      firstError = error;
    }
  }

  long records() {
    return records.get();
  }

  long errors() {
    return errors.get();
  }

  Throwable firstError() {
    return firstError;
  }

  /** Prints one progress line about the interval since the previous one (Kafka's format, roughly). */
  void progress(String verb, long nowNanos, PrintWriter err) {
    Histogram interval = withLatency ? recorder.getIntervalHistogram() : null;
    if (interval != null) {
      total.add(interval);
    }
    long recordsNow = records.get();
    long bytesNow = bytes.get();
    double seconds = Math.max(1e-9, (nowNanos - lastProgressNanos) / 1e9);
    StringBuilder line = new StringBuilder();
    line.append(String.format(Locale.ROOT, "%d records %s, %.1f records/s (%.2f MiB/s)",
        recordsNow - lastProgressRecords, verb, (recordsNow - lastProgressRecords) / seconds,
        (bytesNow - lastProgressBytes) / MIB / seconds));
    if (interval != null && interval.getTotalCount() > 0) {
      line.append(String.format(Locale.ROOT, ", %.2f ms avg latency, %.2f ms p99, %.2f ms max",
          interval.getMean() / 1000.0, interval.getValueAtPercentile(99) / 1000.0,
          interval.getMaxValue() / 1000.0));
    }
    if (errors.get() > 0) {
      line.append(", ").append(errors.get()).append(" errors so far");
    }
    err.println(line);
    err.flush();
    lastProgressNanos = nowNanos;
    lastProgressRecords = recordsNow;
    lastProgressBytes = bytesNow;
  }

  /** The final figures, from the start until {@code endNanos}. */
  Result finish(long endNanos) {
    if (withLatency) {
      total.add(recorder.getIntervalHistogram());
    }
    double seconds = Math.max(1e-9, (endNanos - startNanos) / 1e9);
    long n = records.get();
    Latency latency = null;
    if (withLatency && total.getTotalCount() > 0) {
      latency = new Latency(total.getMean() / 1000.0, total.getValueAtPercentile(50) / 1000.0,
          total.getValueAtPercentile(99) / 1000.0, total.getValueAtPercentile(99.9) / 1000.0,
          total.getMaxValue() / 1000.0);
    }
    Double gapMaxMs = null;
    Double gapEndS = null;
    synchronized (gapLock) {
      if (withLatency && lastSuccessNanos != 0) {
        gapMaxMs = successGapNanosMax / 1e6;
        gapEndS = (successGapEndNanos - startNanos) / 1e9;
      }
    }
    return new Result(n, seconds, n / seconds, bytes.get() / MIB / seconds, latency, errors.get(), gapMaxMs, gapEndS);
  }

  /** Latency figures in milliseconds. */
  record Latency(double avgMs, double p50Ms, double p99Ms, double p999Ms, double maxMs) {}

  /**
   * The result of a run.
   *
   * @param records records counted (acknowledged, received or read), warm-up excluded
   * @param seconds time from the first counted record's send (or the first read) to the last completion
   * @param latency null when the run measures none, or no record completed
   * @param successGapMaxMs the longest time without a success (acknowledgement or arrival), counting
   *     from the start; null when the run measures no latency or nothing succeeded
   * @param successGapEndS when that longest gap ended, in seconds from the start; null with it
   */
  record Result(long records, double seconds, double recordsPerSecond, double mibPerSecond,
      Latency latency, long errors, Double successGapMaxMs, Double successGapEndS) {

    /** One line: every figure, key=value, in a fixed order. */
    String line() {
      StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
          "records=%d seconds=%.3f records/s=%.1f MiB/s=%.2f", records, seconds, recordsPerSecond,
          mibPerSecond));
      if (latency != null) {
        s.append(String.format(Locale.ROOT,
            " latency-ms avg=%.3f p50=%.3f p99=%.3f p99.9=%.3f max=%.3f", latency.avgMs(),
            latency.p50Ms(), latency.p99Ms(), latency.p999Ms(), latency.maxMs()));
      }
      s.append(" errors=").append(errors);
      if (successGapMaxMs != null) {
        s.append(String.format(Locale.ROOT, " gap-ms max=%.3f at-s=%.3f", successGapMaxMs, successGapEndS));
      }
      return s.toString();
    }

    /** The JSON object's fields, in order; latency fields are null when not measured. */
    Map<String, Object> json(String kind) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("benchmark", kind);
      m.put("records", records);
      // Microseconds: a short run's rate must be recomputable from records and seconds.
      m.put("seconds", Math.round(seconds * 1e6) / 1e6);
      m.put("records_per_s", round(recordsPerSecond));
      m.put("mib_per_s", round(mibPerSecond));
      m.put("latency_avg_ms", latency == null ? null : round(latency.avgMs()));
      m.put("latency_p50_ms", latency == null ? null : round(latency.p50Ms()));
      m.put("latency_p99_ms", latency == null ? null : round(latency.p99Ms()));
      m.put("latency_p999_ms", latency == null ? null : round(latency.p999Ms()));
      m.put("latency_max_ms", latency == null ? null : round(latency.maxMs()));
      m.put("errors", errors);
      m.put("success_gap_max_ms", successGapMaxMs == null ? null : round(successGapMaxMs));
      m.put("success_gap_end_s", successGapEndS == null ? null : round(successGapEndS));
      return m;
    }

    private static double round(double v) {
      return Math.round(v * 1000.0) / 1000.0;
    }
  }
}
