package io.sluice.client.internal;

import com.google.protobuf.UnsafeByteOperations;
import io.sluice.api.v1.InitProducerRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.client.IndeterminateException;
import io.sluice.client.NotLeaderException;
import io.sluice.client.ResourceExhaustedException;
import io.sluice.client.SluiceException;
import io.sluice.client.TimeoutException;
import io.sluice.client.UnavailableException;
import io.sluice.client.UnknownTopicException;
import io.sluice.client.WriteOutcome;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The producer's I/O loop, on its own thread: drains ready batches from the
 * {@link RecordAccumulator}, sends them to the leader in one ProduceRequest (many partitions per
 * request, at most maxInFlightRequests requests outstanding), and on each answer completes,
 * retries (with backoff) or fails the batches. Without idempotence only known NOT_WRITTEN
 * failures are retried; with it, failures whose outcome is unknown are retried too (the same
 * bytes: the leader recognises a batch it already holds), and the sender obtains the producer
 * id (InitProducer) whenever a batch waits for one.
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
  private final boolean idempotent;
  private final AtomicInteger inFlightRequests = new AtomicInteger();
  /** An InitProducer call (or the backoff after a failed one) is under way. */
  private final AtomicBoolean producerIdPending = new AtomicBoolean();
  private final AtomicInteger producerIdFailures = new AtomicInteger();
  /** Why the last InitProducer failed, for the errors of batches that waited for it; null after a success. */
  private volatile SluiceException producerIdError;
  private volatile boolean running = true;
  /** The leader of the previous loop; sender thread only. */
  private String lastLeader;

  Sender(ClientContext ctx, RecordAccumulator accumulator, BufferMemory memory, PartitionCounts partitionCounts,
      int maxInFlightRequests, Duration retryBackoff, Duration deliveryTimeout, boolean idempotent) {
    this.ctx = ctx;
    this.accumulator = accumulator;
    this.memory = memory;
    this.partitionCounts = partitionCounts;
    this.maxInFlightRequests = maxInFlightRequests;
    this.retryBackoff = retryBackoff;
    this.deliveryTimeout = deliveryTimeout;
    this.idempotent = idempotent;
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
    if (leader != null && !leader.equals(lastLeader)) {
      // A new leader (after a failover, or a hint): batches backing off from the old one go now.
      int expedited = accumulator.skipRetryBackoff(System.nanoTime());
      if (expedited > 0) {
        log.debug("new leader {}: retrying {} batches without waiting out their backoff", leader, expedited);
      }
    }
    if (leader != null) {
      lastLeader = leader;
    }
    boolean canSend = leader != null && inFlightRequests.get() < maxInFlightRequests;
    RecordAccumulator.Drain drain = accumulator.drain(canSend);
    for (ProducerBatch b : drain.expired()) {
      memory.release(b.reservedBytes); // the accumulator already marked it finished
      b.fail(b.encodeError != null
          ? new SluiceException("could not encode the batch for " + b.tp + ": " + b.encodeError, null, null,
              WriteOutcome.NOT_WRITTEN, false, b.encodeError)
          : expiredError(b, leader));
    }
    if (drain.needsProducerId()) {
      initProducer();
    }
    if (!drain.toSend().isEmpty()) {
      send(leader, drain.toSend(), drain.atomic());
      return;
    }
    if (leader == null && drain.hasQueued()) {
      // Batches are waiting for a leader: look for one (rate-limited), and wake when found.
      ctx.metadata().refresh().whenComplete((info, e) -> accumulator.wakeup());
    }
    accumulator.awaitWork(drain.waitNanos());
  }

  private SluiceException expiredError(ProducerBatch b, String leader) {
    SluiceException noId = producerIdError;
    String why = b.lastError != null ? "last error: " + b.lastError.getMessage()
        : leader == null ? "no leader was found"
        : noId != null && !b.sealed() ? "no producer id was obtained: " + noId.getMessage()
        : "it was queued behind earlier batches";
    if (b.maybeWritten) {
      return new IndeterminateException("delivery timeout of " + deliveryTimeout + " expired before " + b.tp
          + " was acknowledged, and an earlier attempt may have been written (" + b.attempts + " attempts; "
          + why + ")", null, b.lastError == null ? null : b.lastError.reason(), b.lastError);
    }
    return new TimeoutException("delivery timeout of " + deliveryTimeout + " expired before " + b.tp
        + " was written (" + b.attempts + " attempts; " + why + ")", null, WriteOutcome.NOT_WRITTEN, b.lastError);
  }

  /** Sends {@code batches} in one request: an atomic write's batches (and its offsets) when {@code atomic} is set. */
  private void send(String leader, List<ProducerBatch> batches, AtomicWrite atomic) {
    ProduceRequest.Builder req = ProduceRequest.newBuilder();
    if (atomic != null && atomic.groupCommit() != null) {
      req.setGroupCommit(atomic.groupCommit());
    }
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
            onAnswer(leader, batches, atomic != null, resp, err);
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

  private void onAnswer(String leader, List<ProducerBatch> batches, boolean atomic, ProduceResponse resp,
      Throwable err) {
    SluiceException e = err != null ? ErrorMapper.map(err, true, true, leader) : checkResponse(batches, resp);
    if (e == null) {
      for (int i = 0; i < batches.size(); i++) {
        PartitionResult r = resp.getResults(i);
        ProducerBatch b = batches.get(i);
        if (r.getDuplicate()) {
          // An earlier attempt (or a copy of one) was written: these are its offsets.
          log.debug("{} ({}, sequence {}) was already written at offset {}", b.tp, b.producer, b.baseSequence,
              r.getBaseOffset());
        }
        if (accumulator.complete(b)) {
          memory.release(b.reservedBytes);
          b.succeed(r.getBaseOffset(), r.getLogAppendTimeMs());
        }
      }
      return;
    }
    noteLeaderTrouble(leader, e);
    long now = System.nanoTime();
    if (idempotent && "OUT_OF_ORDER_SEQUENCE".equals(e.reason()) && (batches.size() == 1 || atomic)
        && batches.stream().anyMatch(accumulator::outOfOrderMayBeTransient)) {
      // An earlier batch of the partition is unsettled (in flight, or waiting for a retry), or
      // landed after the leader looked at this one: re-sent after it, when the leader expects it.
      for (ProducerBatch b : batches) {
        b.attempts++;
        accumulator.requeue(b, now + Backoff.nanos(retryBackoff, b.attempts) / 4, b.sendAlone, e);
      }
      return;
    }
    if (idempotent && (batches.size() == 1 || atomic) && isProducerRejection(e)) {
      for (ProducerBatch b : batches) {
        log.info("{} refused {} at sequence {} ({}); taking a new producer id", leader, b.producer, b.baseSequence,
            e.reason());
        if (accumulator.producerRejected(b, e)) {
          memory.release(b.reservedBytes);
          b.fail(new IndeterminateException("the leader refused " + b.producer + " for " + b.tp + " (" + e.reason()
              + ") after an earlier attempt whose outcome is unknown; re-sending it under a new producer id could "
              + "store it twice", e.code(), e.reason(), e));
        }
      }
      return;
    }
    boolean hinted = e instanceof NotLeaderException nl && nl.leaderAddress() != null
        && !nl.leaderAddress().equals(leader);
    // Another leader is already known (a refresh finished first): no reason to back off from it.
    String current = ctx.metadata().leaderAddress();
    boolean leaderMoved = hinted || current != null && !current.equals(leader);
    // With idempotence an unknown outcome is retried too: the leader recognises a batch it holds.
    boolean retry = e.retriable() && e.writeOutcome() == WriteOutcome.NOT_WRITTEN
        || idempotent && e.writeOutcome() == WriteOutcome.UNKNOWN;
    // A shared request rejected for one batch's sake (bad partition, deleted topic, too large):
    // re-send each batch alone so only the culprit fails.
    // Never an atomic write: its batches stand or fall together.
    boolean isolate = !retry && !atomic && batches.size() > 1 && e.writeOutcome() == WriteOutcome.NOT_WRITTEN
        && !"DISK_FULL".equals(e.reason());
    for (ProducerBatch b : batches) {
      if (retry) {
        b.attempts++;
        long delay = leaderMoved ? 0 : Backoff.nanos(retryBackoff, b.attempts);
        if (e instanceof ResourceExhaustedException re && re.retryAfter().isPresent()) {
          // Over a quota: the node said when the request would fit; sooner only meets another refusal.
          delay = Math.max(delay, re.retryAfter().get().toNanos());
        }
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

  /**
   * A refusal of the batch's producer id or sequence. Only acted on for a batch sent alone: in a
   * shared request the culprit is unknown, so the batches are first re-sent one per request.
   */
  private static boolean isProducerRejection(SluiceException e) {
    String r = e.reason();
    return e.writeOutcome() == WriteOutcome.NOT_WRITTEN && ("UNKNOWN_PRODUCER_ID".equals(r)
        || "PRODUCER_FENCED".equals(r) || "OUT_OF_ORDER_SEQUENCE".equals(r));
  }

  /** Fails {@code b}; as indeterminate if an earlier attempt may have been written. */
  private void fail(ProducerBatch b, SluiceException e) {
    if (accumulator.fail(b, e)) {
      memory.release(b.reservedBytes);
      b.fail(b.maybeWritten && !(e instanceof IndeterminateException)
          ? new IndeterminateException("sending " + b.tp + " failed (" + e.getMessage() + ") after an earlier "
              + "attempt whose outcome is unknown", e.code(), e.reason(), e)
          : e);
    }
  }

  /**
   * Obtains a producer id through InitProducer on the leader (with the SDK's leader discovery
   * and retries), unless a call or its backoff is under way. A repeated InitProducer is harmless
   * (an unused id expires on the cluster), so an attempt whose outcome is unknown is simply
   * retried: the call is made as a non-write for that reason.
   */
  private void initProducer() {
    if (!producerIdPending.compareAndSet(false, true)) {
      return;
    }
    RetryingCall.run(ctx, RetryingCall.Target.LEADER, false, "initProducer",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.INIT_PRODUCER,
            InitProducerRequest.getDefaultInstance(), timeout, false))
        .whenComplete((resp, err) -> {
          if (err == null) {
            ProducerIdentity p = new ProducerIdentity(resp.getProducerId(), (short) resp.getProducerEpoch());
            log.debug("obtained {}", p);
            producerIdError = null;
            producerIdFailures.set(0);
            accumulator.setProducer(p);
            producerIdPending.set(false);
            return;
          }
          SluiceException e = ErrorMapper.map(err, false, true, "the leader");
          producerIdError = e;
          if (e.code() == Status.Code.UNIMPLEMENTED) {
            // The cluster predates idempotent producing: waiting cannot help.
            failUnsealed(new SluiceException("the cluster does not support idempotent producing (InitProducer is "
                + "unimplemented); use ProducerConfig.idempotence(false)", e.code(), e.reason(),
                WriteOutcome.NOT_WRITTEN, false, e));
          }
          long delay = Backoff.nanos(retryBackoff, producerIdFailures.incrementAndGet());
          log.debug("initProducer failed, retrying in {} ms: {}", delay / 1_000_000, e.getMessage());
          try {
            ctx.scheduler().schedule(() -> {
              producerIdPending.set(false);
              accumulator.wakeup();
            }, delay, TimeUnit.NANOSECONDS);
          } catch (RejectedExecutionException closed) {
            failUnsealed(RpcClient.closedError(WriteOutcome.NOT_WRITTEN, closed));
          }
        });
  }

  private void failUnsealed(SluiceException e) {
    for (ProducerBatch b : accumulator.takeUnsealed()) {
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
