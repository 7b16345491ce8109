package io.sluice.node;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.ListOffsetsResponse;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.internal.v1.TopicState;
import io.sluice.node.quota.Quotas;
import io.sluice.node.security.Principal;
import io.sluice.protocol.SluiceErrors;
import io.sluice.statemachine.LogCore;
import io.sluice.statemachine.OffsetsQuery;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fetch: reads whole batches from this node's applied (hence committed) state. Any node serves.
 * With {@code max_wait_ms}, waits for an append when there is nothing to return, without holding
 * a thread while it waits.
 */
final class FetchService extends FetchServiceGrpc.FetchServiceImplBase {
  private static final int PARTITION_BYTES_DEFAULT = 1 << 20;
  /** How long a fetch with a consistency token and no max_wait_ms waits for this node to catch up. */
  private static final long TOKEN_WAIT_DEFAULT_MS = 5000;

  private final SluiceNode node;
  private final int bytesMax;
  private final long waitMaxMs;
  /** Re-reads after a wake-up run here, never on the applying thread. Bounded: 2 threads. */
  private final ExecutorService rereads = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "sluice-fetch-reread");
    t.setDaemon(true);
    return t;
  });

  /** Subscribe streams open on this node, bounded by subscribe.streams.max. */
  private final AtomicInteger subscriptions = new AtomicInteger();
  /** Bytes of batches handed to Subscribe streams' transports so far (what flow control must bound). */
  final java.util.concurrent.atomic.AtomicLong subscribeBytesSent = new java.util.concurrent.atomic.AtomicLong();
  private final int subscriptionsMax;

  FetchService(SluiceNode node) {
    this.node = node;
    this.subscriptionsMax = node.config().getInt(NodeConfig.SUBSCRIBE_STREAMS_MAX);
    this.bytesMax = node.config().getInt(NodeConfig.FETCH_BYTES_MAX);
    this.waitMaxMs = node.config().getLong(NodeConfig.FETCH_WAIT_MAX_MS);
  }

  @Override
  public void fetch(FetchRequest request, StreamObserver<FetchResponse> observer) {
    try {
      validate(request);
    } catch (RuntimeException e) {
      Replies.fail(observer, e);
      return;
    }
    Principal principal = Principal.current();
    long retryNanos = node.quotas().admit(principal, Quotas.Kind.FETCH);
    if (retryNanos > 0) {
      Replies.fail(observer, ThrottledReply.quotaExceeded(node.id(), principal, Quotas.Kind.FETCH,
          node.quotas().rate(principal, Quotas.Kind.FETCH), retryNanos));
      return;
    }
    long waitMs = Math.min(Math.max(request.getMaxWaitMs(), 0), waitMaxMs);
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
    if (request.getMinAppliedIndex() > node.core().applied().index()) {
      long tokenWaitMs = Math.min(request.getMaxWaitMs() > 0 ? request.getMaxWaitMs() : TOKEN_WAIT_DEFAULT_MS, waitMaxMs);
      awaitApplied(principal, request, observer, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(tokenWaitMs),
          deadlineNanos);
      return;
    }
    attempt(principal, request, observer, deadlineNanos);
  }

  /** Read your writes: hold the fetch until this node has applied the token's index, bounded. */
  private void awaitApplied(Principal principal, FetchRequest request, StreamObserver<FetchResponse> observer,
      long tokenDeadlineNanos, long deadlineNanos) {
    if (observer instanceof ServerCallStreamObserver<?> s && s.isCancelled()) {
      return;
    }
    CompletableFuture<Void> applied = node.applySignal().next();
    long appliedIndex = node.core().applied().index();
    if (appliedIndex >= request.getMinAppliedIndex()) {
      attempt(principal, request, observer, deadlineNanos);
      return;
    }
    long remainingNanos = tokenDeadlineNanos - System.nanoTime();
    if (remainingNanos <= 0) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.NOT_CAUGHT_UP, "node " + node.id() + " has applied index "
          + appliedIndex + ", not yet the requested " + request.getMinAppliedIndex() + "; try the leader or retry"));
      return;
    }
    CompletableFuture<Void> timeout = new CompletableFuture<Void>()
        .completeOnTimeout(null, remainingNanos, TimeUnit.NANOSECONDS);
    applied.applyToEitherAsync(timeout, v -> v, rereads)
        .thenRun(() -> awaitApplied(principal, request, observer, tokenDeadlineNanos, deadlineNanos));
  }

  @Override
  public StreamObserver<io.sluice.api.v1.SubscribeRequest> subscribe(
      StreamObserver<io.sluice.api.v1.SubscribeResponse> observer) {
    if (subscriptions.incrementAndGet() > subscriptionsMax) {
      subscriptions.decrementAndGet();
      Replies.fail(observer, Errors.notWritten(ErrorReason.TOO_MANY_REQUESTS, "node " + node.id() + " already serves "
          + subscriptionsMax + " Subscribe streams (subscribe.streams.max); retry later or on another node"));
      return new StreamObserver<>() {
        @Override
        public void onNext(io.sluice.api.v1.SubscribeRequest value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    Subscription[] self = new Subscription[1];
    Subscription s = new Subscription(node, observer, rereads, () -> {
      subscriptions.decrementAndGet();
      live.remove(self[0]);
    }, subscribeBytesSent);
    self[0] = s;
    live.add(s);
    return s;
  }

  /** Open Subscribe streams, re-checked for revoked tokens and removed ACLs. */
  private final java.util.Set<Subscription> live = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Ends the streams whose token was revoked or whose ACL was removed (auth.recheck.interval.ms). */
  void recheckSubscriptions() {
    for (Subscription s : live) {
      try {
        s.recheck();
      } catch (RuntimeException e) {
        org.slf4j.LoggerFactory.getLogger(FetchService.class).warn("re-checking a Subscribe stream failed", e);
      }
    }
  }

  /** Subscribe streams open now (for tests and metrics). */
  int subscriptionCount() {
    return subscriptions.get();
  }

  @Override
  public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> observer) {
    if (request.getPartitionsCount() == 0) {
      Replies.fail(observer, Errors.notWritten(ErrorReason.INVALID_REQUEST, "ListOffsets names no partitions"));
      return;
    }
    if (!request.getLinearizable()) {
      try {
        Replies.complete(observer, OffsetsQuery.answer(node.core(), request), null);
      } catch (IllegalArgumentException e) {
        Replies.fail(observer, Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, e.getMessage()));
      }
      return;
    }
    node.proposer().queryLinearizable(request.toByteArray()).whenComplete((bytes, error) -> {
      if (error != null) {
        Replies.fail(observer, error);
        return;
      }
      try {
        Replies.complete(observer, ListOffsetsResponse.parseFrom(bytes), null);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        Replies.fail(observer, e);
      }
    });
  }

  private void attempt(Principal principal, FetchRequest request, StreamObserver<FetchResponse> observer,
      long deadlineNanos) {
    if (observer instanceof ServerCallStreamObserver<?> s && s.isCancelled()) {
      return;
    }
    try {
      CompletableFuture<Void> appended = node.applySignal().next();
      FetchResponse response = read(request);
      long remainingNanos = deadlineNanos - System.nanoTime();
      boolean any = response.getPartitionsList().stream().anyMatch(p -> p.getBatchesCount() > 0);
      if (any || remainingNanos <= 0) {
        // Fetch quota: the bytes served count; the answer waits for what they put the principal over.
        long delayNanos = any ? node.quotas().record(principal, Quotas.Kind.FETCH, batchBytes(response)) : 0;
        Replies.complete(ThrottledReply.of(observer, delayNanos, node.throttler()), response, null);
        return;
      }
      CompletableFuture<Void> timeout = new CompletableFuture<Void>()
          .completeOnTimeout(null, remainingNanos, TimeUnit.NANOSECONDS);
      appended.applyToEitherAsync(timeout, v -> v, rereads)
          .thenRun(() -> attempt(principal, request, observer, deadlineNanos));
    } catch (RuntimeException e) {
      Replies.fail(observer, e);
    }
  }

  private static long batchBytes(FetchResponse response) {
    long bytes = 0;
    for (PartitionData p : response.getPartitionsList()) {
      for (com.google.protobuf.ByteString b : p.getBatchesList()) {
        bytes += b.size();
      }
    }
    return bytes;
  }

  private void validate(FetchRequest request) {
    if (request.getPartitionsCount() == 0) {
      throw Errors.notWritten(ErrorReason.INVALID_REQUEST, "fetch names no partitions");
    }
    for (PartitionFetch p : request.getPartitionsList()) {
      TopicState t = topic(p.getTopic());
      if (p.getPartition() < 0 || p.getPartition() >= t.getPartitions()) {
        throw Errors.notWritten(ErrorReason.UNKNOWN_PARTITION, "topic '" + p.getTopic() + "' has no partition "
            + p.getPartition() + " (partitions: " + t.getPartitions() + ")");
      }
      if (p.getOffset() < 0) {
        throw Errors.notWritten(ErrorReason.INVALID_OFFSET, "offset " + p.getOffset() + " for " + p.getTopic()
            + "-" + p.getPartition() + " is negative");
      }
    }
  }

  private TopicState topic(String name) {
    Optional<TopicState> t = node.core().topic(name);
    if (t.isEmpty()) {
      throw Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist");
    }
    return t.get();
  }

  private FetchResponse read(FetchRequest request) {
    int budget = request.getMaxBytes() > 0 ? Math.min(request.getMaxBytes(), bytesMax) : bytesMax;
    FetchResponse.Builder response = FetchResponse.newBuilder();
    for (PartitionFetch p : request.getPartitionsList()) {
      int partitionMax = p.getMaxBytes() > 0 ? p.getMaxBytes() : PARTITION_BYTES_DEFAULT;
      LogCore.ReadResult r;
      try {
        // Past the budget we still report offsets, with no batches.
        r = node.core().read(p.getTopic(), p.getPartition(), p.getOffset(),
            budget <= 0 ? 0 : Math.min(partitionMax, budget));
      } catch (IllegalArgumentException e) {
        throw Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, "topic '" + p.getTopic() + "' partition "
            + p.getPartition() + " no longer exists");
      }
      if (p.getOffset() < r.logStartOffset()) {
        throw Errors.of(ErrorReason.OFFSET_OUT_OF_RANGE, "offset " + p.getOffset() + " of " + p.getTopic() + "-"
            + p.getPartition() + " is below the log start offset " + r.logStartOffset(),
            Map.of(SluiceErrors.END_OFFSET, Long.toString(r.endOffset())));
      }
      PartitionData.Builder data = PartitionData.newBuilder()
          .setTopic(p.getTopic()).setPartition(p.getPartition())
          .setLogStartOffset(r.logStartOffset()).setEndOffset(r.endOffset());
      if (budget > 0) {
        for (byte[] batch : r.batches()) {
          data.addBatches(UnsafeByteOperations.unsafeWrap(batch));
          budget -= batch.length;
        }
      }
      response.addPartitions(data);
    }
    return response.build();
  }
}
