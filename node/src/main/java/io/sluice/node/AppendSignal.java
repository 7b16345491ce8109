package io.sluice.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Wakes long-poll fetches when records are applied. A fetch takes {@link #next()} before it reads;
 * if the read finds nothing it waits on that future, which completes at the next append. Taking
 * the future before reading means no append between the read and the wait is missed.
 * Thread-safe; {@link #fire} is cheap and never blocks (it runs on the applying thread).
 */
final class AppendSignal {
  private final AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>(new CompletableFuture<>());

  CompletableFuture<Void> next() {
    return next.get();
  }

  void fire(long raftIndex) {
    next.getAndSet(new CompletableFuture<>()).complete(null);
  }
}
