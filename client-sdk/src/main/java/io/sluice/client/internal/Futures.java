package io.sluice.client.internal;

import io.sluice.client.SluiceException;
import io.sluice.client.WriteOutcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

/** Helpers for futures that fail with {@link SluiceException}s. Static; thread-safe. */
public final class Futures {
  private Futures() {}

  /** A future already failed with {@code e}. */
  public static <T> CompletableFuture<T> failed(Throwable e) {
    CompletableFuture<T> f = new CompletableFuture<>();
    f.completeExceptionally(e);
    return f;
  }

  /**
   * Like {@code f.thenApply(fn)}, but a failure is passed on as itself rather than wrapped in a
   * CompletionException, so callers' {@code exceptionally}/{@code whenComplete} see the
   * SluiceException directly.
   */
  public static <A, B> CompletableFuture<B> map(CompletableFuture<A> f, Function<A, B> fn) {
    CompletableFuture<B> out = new CompletableFuture<>();
    f.whenComplete((a, e) -> {
      if (e != null) {
        out.completeExceptionally(ErrorMapper.unwrap(e));
        return;
      }
      try {
        out.complete(fn.apply(a));
      } catch (RuntimeException x) {
        out.completeExceptionally(x);
      }
    });
    return out;
  }

  /**
   * Waits for {@code f} and returns its value, throwing its failure unwrapped (not inside a
   * CompletionException). An interrupt restores the flag and throws a SluiceException.
   */
  public static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw asRuntime(ErrorMapper.unwrap(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException("interrupted while waiting", null, null, WriteOutcome.NOT_A_WRITE, false, e);
    }
  }

  private static RuntimeException asRuntime(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new SluiceException(String.valueOf(t), null, null, WriteOutcome.NOT_A_WRITE, false, t);
  }
}
