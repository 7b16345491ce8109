package io.sluice.node.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waits for SDK futures with a bound, and rethrows their failure unwrapped. */
final class Await {

  /**
   * Extra wait beyond the caller's timeout. The SDK's operations are bounded by the same timeout
   * (see {@link ClientOptions#connectFor}); the grace lets the SDK's own error, which says why
   * (e.g. "connection refused"), arrive before our plain "timed out".
   */
  static final long GRACE_MS = 1_000;

  private Await() {}

  /**
   * Returns the future's value, waiting at most {@code timeoutMs} plus {@link #GRACE_MS}.
   *
   * @param what what is being waited for, e.g. "creating topic 'orders'"; used in messages
   */
  static <T> T get(CompletableFuture<T> future, long timeoutMs, String what) {
    try {
      return future.get(timeoutMs + GRACE_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new CliException("timed out after " + timeoutMs + " ms " + what);
    } catch (ExecutionException e) {
      Throwable cause = CliErrors.unwrap(e);
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new CliException(what + ": " + CliErrors.describe(cause), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while " + what);
    }
  }
}
