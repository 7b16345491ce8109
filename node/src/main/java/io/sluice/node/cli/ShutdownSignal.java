package io.sluice.node.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a loop end cleanly on Ctrl-C: the JVM's shutdown hook raises the flag, then waits (for a
 * bound) until the loop has flushed its output and called {@link #close()}.
 *
 * <p>Thread-safe.
 */
final class ShutdownSignal implements AutoCloseable {

  private final CountDownLatch finished = new CountDownLatch(1);
  private final Thread hook;
  private volatile boolean requested;

  private ShutdownSignal(Duration finishWaitMax) {
    this.hook =
        new Thread(
            () -> {
              requested = true;
              try {
                finished.await(finishWaitMax.toMillis(), TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "sluice-shutdown");
  }

  static ShutdownSignal install(Duration finishWaitMax) {
    ShutdownSignal signal = new ShutdownSignal(finishWaitMax);
    Runtime.getRuntime().addShutdownHook(signal.hook);
    return signal;
  }

  boolean requested() {
    return requested;
  }

  /** The loop is done: the hook, if running, may let the JVM exit. */
  @Override
  public void close() {
    finished.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shutdownInProgress) {
      // The hook is running or has run; nothing to remove.
    }
  }
}
