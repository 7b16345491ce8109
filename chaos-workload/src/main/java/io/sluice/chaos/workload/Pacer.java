package io.sluice.chaos.workload;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Spaces a loop's iterations at a fixed rate without bursting after a stall. One thread only. */
final class Pacer {

  private final long intervalNs;
  private long nextNs = System.nanoTime();

  Pacer(int perSecond) {
    this.intervalNs = TimeUnit.SECONDS.toNanos(1) / perSecond;
  }

  /** Waits for the next slot; returns false if interrupted. */
  boolean await() {
    long now = System.nanoTime();
    // After a stall (a blocked send, a paused node) start afresh rather than catch up in a burst.
    if (now - nextNs > 10 * intervalNs) {
      nextNs = now;
    }
    while (nextNs - now > 0) {
      LockSupport.parkNanos(nextNs - now);
      if (Thread.currentThread().isInterrupted()) {
        return false;
      }
      now = System.nanoTime();
    }
    nextNs += intervalNs;
    return true;
  }
}
