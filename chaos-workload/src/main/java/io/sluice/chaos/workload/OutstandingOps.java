package io.sluice.chaos.workload;

import java.time.Duration;

/** Counts the workload's operations in flight, so stopping can wait for every completion. Thread-safe. */
final class OutstandingOps {

  private long count;

  synchronized void begin() {
    count++;
  }

  synchronized void end() {
    count--;
    if (count == 0) {
      notifyAll();
    }
  }

  synchronized long count() {
    return count;
  }

  /** Waits until none is outstanding or {@code timeout} passes; returns how many remain. */
  synchronized long awaitNone(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count > 0) {
      long leftNs = deadline - System.nanoTime();
      if (leftNs <= 0) {
        break;
      }
      wait(Math.max(1, leftNs / 1_000_000));
    }
    return count;
  }
}
