package io.sluice.client.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts the producer's buffered bytes against its bufferBytesMax; senders wait for room.
 * Thread-safe.
 */
public final class BufferMemory {
  private final long capacityBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition freed = lock.newCondition();
  private long usedBytes; // guarded by lock

  public BufferMemory(long capacityBytes) {
    this.capacityBytes = capacityBytes;
  }

  /**
   * Takes {@code bytes} (at most the capacity), waiting up to {@code timeoutNanos} for room.
   *
   * @return false when the time ran out
   */
  public boolean reserve(long bytes, long timeoutNanos) throws InterruptedException {
    if (bytes > capacityBytes) {
      throw new IllegalArgumentException(bytes + " bytes can never fit a buffer of " + capacityBytes);
    }
    lock.lock();
    try {
      long wait = timeoutNanos;
      while (usedBytes + bytes > capacityBytes) {
        if (wait <= 0) {
          return false;
        }
        wait = freed.awaitNanos(wait);
      }
      usedBytes += bytes;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Returns {@code bytes} taken by {@link #reserve}. */
  public void release(long bytes) {
    lock.lock();
    try {
      usedBytes -= bytes;
      if (usedBytes < 0) {
        throw new IllegalStateException("buffer accounting went negative: " + usedBytes);
      }
      freed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Bytes currently taken. */
  public long usedBytes() {
    lock.lock();
    try {
      return usedBytes;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "BufferMemory{used=" + usedBytes() + "B, capacity=" + capacityBytes + "B}";
  }
}
