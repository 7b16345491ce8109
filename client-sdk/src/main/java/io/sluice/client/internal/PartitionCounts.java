package io.sluice.client.internal;

import io.sluice.client.Admin;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.SluiceException;
import io.sluice.client.TimeoutException;
import io.sluice.client.UnavailableException;
import io.sluice.client.UnknownTopicException;
import io.sluice.client.WriteOutcome;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Partition count per topic, from describeTopic, cached until a produce error says the topic or
 * partition is gone. Concurrent lookups of one topic share one request; a failed lookup is not
 * cached. Thread-safe.
 */
final class PartitionCounts {
  private final Admin admin;
  private final ConcurrentHashMap<String, CompletableFuture<Integer>> counts = new ConcurrentHashMap<>();

  PartitionCounts(Admin admin) {
    this.admin = admin;
  }

  /**
   * The partition count of {@code topic}, waiting up to {@code timeoutNanos} for a lookup.
   *
   * @throws SluiceException UnknownTopicException, TimeoutException (NOT_WRITTEN), ...
   */
  int get(String topic, long timeoutNanos) {
    CompletableFuture<Integer> f = counts.get(topic);
    if (f == null) {
      CompletableFuture<Integer> mine = new CompletableFuture<>();
      f = counts.putIfAbsent(topic, mine);
      if (f == null) {
        f = mine;
        admin.describeTopic(topic).whenComplete((info, e) -> {
          if (e != null) {
            counts.remove(topic, mine);
            mine.completeExceptionally(ErrorMapper.unwrap(e));
          } else {
            mine.complete(info.partitions().size());
          }
        });
      }
    }
    int count;
    try {
      count = f.get(timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw asWriteError(topic, ErrorMapper.unwrap(e));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new TimeoutException("partition count of topic " + topic + " not known within maxBlock",
          null, WriteOutcome.NOT_WRITTEN, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException("interrupted while looking up topic " + topic, null, null,
          WriteOutcome.NOT_WRITTEN, false, e);
    }
    if (count < 1) {
      throw new InvalidRequestException("topic " + topic + " has no partitions", null, "UNKNOWN_PARTITION",
          WriteOutcome.NOT_WRITTEN, null);
    }
    return count;
  }

  /** Forgets the count of {@code topic} (deleted, or re-created with another count). */
  void invalidate(String topic) {
    counts.remove(topic);
  }

  /**
   * A lookup failure as a send failure: the lookup was a read (NOT_A_WRITE), but the record it
   * was for is known NOT_WRITTEN, so that is what the send's exception says. The type is kept.
   */
  private static SluiceException asWriteError(String topic, Throwable t) {
    if (!(t instanceof SluiceException e)) {
      return new SluiceException("looking up topic " + topic + " failed: " + t, null, null,
          WriteOutcome.NOT_WRITTEN, false, t);
    }
    if (e.writeOutcome() != WriteOutcome.NOT_A_WRITE) {
      return e;
    }
    String msg = "looking up topic " + topic + ": " + e.getMessage();
    if (e instanceof UnknownTopicException) {
      return new UnknownTopicException(msg, WriteOutcome.NOT_WRITTEN, e);
    }
    if (e instanceof UnavailableException) {
      return new UnavailableException(msg, e.reason(), WriteOutcome.NOT_WRITTEN, e);
    }
    if (e instanceof TimeoutException) {
      return new TimeoutException(msg, e.code(), WriteOutcome.NOT_WRITTEN, e);
    }
    if (e instanceof io.sluice.client.AuthorizationException) {
      return new io.sluice.client.AuthorizationException(msg, e.reason(), WriteOutcome.NOT_WRITTEN, e);
    }
    if (e instanceof io.sluice.client.AuthenticationException) {
      return new io.sluice.client.AuthenticationException(msg, e.reason(), WriteOutcome.NOT_WRITTEN, e);
    }
    if (e instanceof InvalidRequestException) {
      return new InvalidRequestException(msg, e.code(), e.reason(), WriteOutcome.NOT_WRITTEN, e);
    }
    return new SluiceException(msg, e.code(), e.reason(), WriteOutcome.NOT_WRITTEN, e.retriable(), e);
  }
}
