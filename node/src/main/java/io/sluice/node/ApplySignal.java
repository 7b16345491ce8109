package io.sluice.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Wakes waiting fetches (long polls, consistency-token waits) whenever a Raft entry is applied. A
 * fetch takes {@link #next()} before it reads; if the read finds nothing it waits on that future,
 * which completes at the next applied entry. Taking the future before reading means nothing
 * applied between the read and the wait is missed.
 * Thread-safe; {@link #fire} is cheap and never blocks (it runs on the applying thread).
 */
final class ApplySignal {
  private final AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>(new CompletableFuture<>());

  CompletableFuture<Void> next() {
    return next.get();
  }

  void fire(long raftIndex) {
    next.getAndSet(new CompletableFuture<>()).complete(null);
  }
}
