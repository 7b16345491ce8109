package io.sluice.client.internal;

import com.google.protobuf.UnsafeByteOperations;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.client.IndeterminateException;
import io.sluice.client.NotLeaderException;
import io.sluice.client.SluiceException;
import io.sluice.client.TimeoutException;
import io.sluice.client.UnavailableException;
import io.sluice.client.UnknownTopicException;
import io.sluice.client.WriteOutcome;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's I/O loop, on its own thread: drains ready batches from the
 * {@link RecordAccumulator}, sends them to the leader in one ProduceRequest (many partitions per
 * request, at most maxInFlightRequests requests outstanding), and on each answer completes,
 * retries (known NOT_WRITTEN only, with backoff) or fails the batches.
 *
 * <p>Each attempt's deadline is min(requestTimeout, the earliest delivery deadline in the request),
 * so every record's future completes within its delivery timeout even when no node answers.
 *
 * <p>Thread-safe: {@link #run} on the sender thread; answers arrive on gRPC threads.
 */
final class Sender implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Sender.class);

  private final ClientContext ctx;
  private final RecordAccumulator accumulator;
  private final BufferMemory memory;
  private final PartitionCounts partitionCounts;
  private final int maxInFlightRequests;
  private final Duration retryBackoff;
  private final Duration deliveryTimeout;
  private final AtomicInteger inFlightRequests = new AtomicInteger();
  private volatile boolean running = true;

  Sender(ClientContext ctx, RecordAccumulator accumulator, BufferMemory memory, PartitionCounts partitionCounts,
      int maxInFlightRequests, Duration retryBackoff, Duration deliveryTimeout) {
    this.ctx = ctx;
    this.accumulator = accumulator;
    this.memory = memory;
    this.partitionCounts = partitionCounts;
    this.maxInFlightRequests = maxInFlightRequests;
    this.retryBackoff = retryBackoff;
    this.deliveryTimeout = deliveryTimeout;
  }

  @Override
  public void run() {
    while (running) {
      try {
        runOnce();
      } catch (InterruptedException e) {
        if (!running) {
          return;
        }
      } catch (RuntimeException | Error e) {
        log.error("producer sender loop failed; continuing", e);
        sleepQuietly();
      }
    }
  }

  void stop() {
    running = false;
    accumulator.wakeup();
  }

  private void runOnce() throws InterruptedException {
    String leader = ctx.metadata().leaderAddress();
    boolean canSend = leader != null && inFlightRequests.get() < maxInFlightRequests;
    RecordAccumulator.Drain drain = accumulator.drain(canSend);
    for (ProducerBatch b : drain.expired()) {
      memory.release(b.reservedBytes); // the accumulator already marked it finished
      b.fail(expiredError(b, leader));
    }
    if (!drain.toSend().isEmpty()) {
      send(leader, drain.toSend());
      return;
    }
    if (leader == null && drain.hasQueued()) {
      // Batches are waiting for a leader: look for one (rate-limited), and wake when found.
      ctx.metadata().refresh().whenComplete((info, e) -> accumulator.wakeup());
    }
    accumulator.awaitWork(drain.waitNanos());
  }

  private SluiceException expiredError(ProducerBatch b, String leader) {
    String why = b.lastError != null ? "last error: " + b.lastError.getMessage()
        : leader == null ? "no leader was found" : "it was queued behind earlier batches";
    return new TimeoutException("delivery timeout of " + deliveryTimeout + " expired before " + b.tp
        + " was written (" + b.attempts + " attempts; " + why + ")", null, WriteOutcome.NOT_WRITTEN, b.lastError);
  }

  private void send(String leader, List<ProducerBatch> batches) {
    ProduceRequest.Builder req = ProduceRequest.newBuilder();
    long now = System.nanoTime();
    long timeoutNanos = ctx.requestTimeout().toNanos();
    for (ProducerBatch b : batches) {
      req.addBatches(PartitionBatch.newBuilder().setTopic(b.tp.topic()).setPartition(b.tp.partition())
          .setRecords(UnsafeByteOperations.unsafeWrap(b.encoded())));
      timeoutNanos = Math.min(timeoutNanos, b.deadlineNanos - now);
    }
    inFlightRequests.incrementAndGet();
    ctx.rpc().call(leader, SluiceMethods.PRODUCE, req.build(), Duration.ofNanos(Math.max(1, timeoutNanos)), true)
        .whenComplete((resp, err) -> {
          inFlightRequests.decrementAndGet();
          try {
            onAnswer(leader, batches, resp, err);
          } catch (RuntimeException | Error e) {
            log.error("failed to handle a produce answer from {}", leader, e);
            for (ProducerBatch b : batches) {
              fail(b, new IndeterminateException("internal error handling the answer: " + e, null, null, e));
            }
          } finally {
            accumulator.wakeup();
          }
        });
  }

  private void onAnswer(String leader, List<ProducerBatch> batches, ProduceResponse resp, Throwable err) {
    SluiceException e = err != null ? ErrorMapper.map(err, true, true, leader) : checkResponse(batches, resp);
    if (e == null) {
      for (int i = 0; i < batches.size(); i++) {
        PartitionResult r = resp.getResults(i);
        ProducerBatch b = batches.get(i);
        if (accumulator.complete(b)) {
          memory.release(b.reservedBytes);
          b.succeed(r.getBaseOffset(), r.getLogAppendTimeMs());
        }
      }
      return;
    }
    noteLeaderTrouble(leader, e);
    boolean hinted = e instanceof NotLeaderException nl && nl.leaderAddress() != null
        && !nl.leaderAddress().equals(leader);
    boolean retry = e.retriable() && e.writeOutcome() == WriteOutcome.NOT_WRITTEN;
    // A shared request rejected for one batch's sake (bad partition, deleted topic, too large):
    // re-send each batch alone so only the culprit fails.
    boolean isolate = !retry && batches.size() > 1 && e.writeOutcome() == WriteOutcome.NOT_WRITTEN
        && !"DISK_FULL".equals(e.reason());
    long now = System.nanoTime();
    for (ProducerBatch b : batches) {
      if (retry) {
        b.attempts++;
        long delay = hinted ? 0 : Backoff.nanos(retryBackoff, b.attempts);
        log.debug("retrying {} in {} ms after {}", b.tp, delay / 1_000_000, e.getMessage());
        accumulator.requeue(b, now + delay, b.sendAlone, e);
      } else if (isolate) {
        accumulator.requeue(b, now, true, null);
      } else {
        if (e instanceof UnknownTopicException || "UNKNOWN_PARTITION".equals(e.reason())) {
          partitionCounts.invalidate(b.tp.topic());
        }
        fail(b, e);
      }
    }
  }

  /** Checks that the answer has one result per batch, in request order; null when it does. */
  private static SluiceException checkResponse(List<ProducerBatch> batches, ProduceResponse resp) {
    boolean ok = resp.getResultsCount() == batches.size();
    for (int i = 0; ok && i < batches.size(); i++) {
      PartitionResult r = resp.getResults(i);
      ok = r.getTopic().equals(batches.get(i).tp.topic()) && r.getPartition() == batches.get(i).tp.partition();
    }
    return ok ? null : new IndeterminateException("the leader's ProduceResponse does not match the request ("
        + resp.getResultsCount() + " results for " + batches.size() + " batches)", Status.Code.INTERNAL, null, null);
  }

  private void noteLeaderTrouble(String leader, SluiceException e) {
    if (e instanceof NotLeaderException nl && nl.leaderAddress() != null) {
      ctx.metadata().leaderHint(nl.leaderAddress());
    } else if (e instanceof NotLeaderException || e instanceof UnavailableException
        || e instanceof TimeoutException || e.code() == Status.Code.UNAVAILABLE
        || e.code() == Status.Code.DEADLINE_EXCEEDED) {
      ctx.metadata().nodeFailed(leader);
    }
  }

  private void fail(ProducerBatch b, SluiceException e) {
    if (accumulator.complete(b)) {
      memory.release(b.reservedBytes);
      b.fail(e);
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException ignored) {
      Thread.currentThread().interrupt();
    }
  }
}
