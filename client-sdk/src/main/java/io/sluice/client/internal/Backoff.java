package io.sluice.client.internal;

import java.time.Duration;

/** Exponential backoff: doubles per retry, capped at 1 s (or the base, if larger). Thread-safe. */
public final class Backoff {
  static final long CAP_NANOS = Duration.ofSeconds(1).toNanos();

  private Backoff() {}

  /** Backoff before retry number {@code retries} (1 = first retry), in nanoseconds. */
  public static long nanos(Duration base, int retries) {
    long b = base.toNanos();
    long cap = Math.max(CAP_NANOS, b);
    int shift = Math.min(Math.max(retries - 1, 0), 30);
    long d = b << shift;
    return d < 0 || d > cap || (shift > 0 && (d >> shift) != b) ? cap : d;
  }
}
