package io.sluice.node.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends every line of a stream as one record and counts the acknowledgements. Sends never wait for
 * each other; only the sender's own buffer bound (the producer's buffer) slows the reader. No
 * future is kept, so memory does not grow with the number of lines.
 *
 * <p>One instance runs once, on one thread; completions may arrive on any thread.
 */
final class LineProducer {

  /** Where records go; {@link ProduceCommand} adapts the SDK producer to it. */
  interface Sender {
    /** Starts sending one record; the future completes when it is acknowledged or has failed. */
    CompletableFuture<?> send(byte[] key, byte[] value);

    /** Waits until every record sent so far has completed. */
    void flush();
  }

  /**
   * What happened to the input.
   *
   * @param records lines read and handed to the sender
   * @param acked records acknowledged by the cluster
   * @param failed records whose send failed
   * @param elapsedNanos from the first read to the last completion (or giving up)
   * @param firstFailure the first send failure, or null
   * @param inputError why reading stopped early, or null when the input was read to its end
   */
  record Summary(
      long records,
      long acked,
      long failed,
      long elapsedNanos,
      Throwable firstFailure,
      String inputError) {

    long notAcked() {
      return records - acked;
    }

    boolean allAcked() {
      return inputError == null && acked == records;
    }

    /** {@code records=N acked=A failed=F seconds=S records/s=R}. */
    String line() {
      double seconds = elapsedNanos / 1e9;
      long rate = seconds > 0 ? Math.round(acked / seconds) : acked;
      return String.format(
          Locale.ROOT,
          "records=%d acked=%d failed=%d seconds=%.3f records/s=%d",
          records,
          acked,
          failed,
          seconds,
          rate);
    }
  }

  private final Sender sender;
  private final KeySplitter keySplitter;
  private final Duration completionWaitMax;

  private final AtomicLong acked = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition allCompleted = lock.newCondition();
  private long completed; // guarded by lock
  private long expected = Long.MAX_VALUE; // guarded by lock; known once the input has ended

  /**
   * @param keySplitter splits keys off lines, or null to send every line as a value with no key
   * @param completionWaitMax how long to wait, after the input ends, for outstanding sends
   */
  LineProducer(Sender sender, KeySplitter keySplitter, Duration completionWaitMax) {
    this.sender = sender;
    this.keySplitter = keySplitter;
    this.completionWaitMax = completionWaitMax;
  }

  Summary run(LineReader lines) {
    long startNanos = System.nanoTime();
    long records = 0;
    String inputError = null;
    try {
      byte[] line;
      while ((line = lines.readLine()) != null) {
        records++;
        send(line);
      }
    } catch (IOException e) {
      inputError = "reading standard input stopped: " + CliErrors.describe(e);
    }
    sender.flush();
    awaitCompletions(records);
    return new Summary(
        records,
        acked.get(),
        failed.get(),
        System.nanoTime() - startNanos,
        firstFailure.get(),
        inputError);
  }

  private void send(byte[] line) {
    byte[] key = null;
    byte[] value = line;
    if (keySplitter != null) {
      KeySplitter.KeyedLine keyed = keySplitter.split(line);
      key = keyed.key();
      value = keyed.value();
    }
    CompletableFuture<?> future;
    try {
      future = sender.send(key, value);
    } catch (RuntimeException e) {
      onComplete(e);
      return;
    }
    future.whenComplete((result, error) -> onComplete(error));
  }

  private void onComplete(Throwable error) {
    if (error == null) {
      acked.incrementAndGet();
    } else {
      failed.incrementAndGet();
      firstFailure.compareAndSet(null, CliErrors.unwrap(error));
    }
    lock.lock();
    try {
      completed++;
      if (completed >= expected) {
        allCompleted.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Waits for the completion callbacks themselves: flush() may return before they have run. */
  private void awaitCompletions(long records) {
    long remainingNanos = completionWaitMax.toNanos();
    lock.lock();
    try {
      expected = records;
      while (completed < expected && remainingNanos > 0) {
        remainingNanos = allCompleted.awaitNanos(remainingNanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }
}
