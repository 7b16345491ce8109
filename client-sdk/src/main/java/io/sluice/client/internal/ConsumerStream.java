package io.sluice.client.internal;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.client.TopicPartition;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One Subscribe stream to one node: the node pushes batches as they are applied; this side hands
 * them to the consumer's poll and grants credit back as they are consumed, so at most the credit
 * (plus one batch) is ever buffered here. Consumed bytes are granted back once they reach a
 * quarter of the window ({@link #GRANT_FRACTION}), not after every poll: a consumer keeping up
 * with a trickle of small records would otherwise send one credit message (and wake the node's
 * pump) per record. At least three quarters of the window stay granted, so the node never waits
 * for credit while the consumer keeps up.
 *
 * <p>Thread-safety: responses arrive on gRPC threads into a queue; {@link #take}, {@link #grant}
 * and {@link #close} are called by the consumer's thread.
 */
final class ConsumerStream implements AutoCloseable {
  /** The stream ended; {@code cause} is the status error (or null for a clean end). */
  record Ended(Throwable cause) {}

  /** Consumed bytes are granted back in steps of at least window / GRANT_FRACTION. */
  static final int GRANT_FRACTION = 4;

  final String address;
  private final long grantStepBytes;
  /** Consumed and not yet granted back; consumer thread only. */
  private long ungrantedBytes;
  private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
  private final ClientCallStreamObserver<SubscribeRequest> requests;

  ConsumerStream(ManagedChannel channel, String address, Map<TopicPartition, Long> positions, long creditBytes) {
    this.address = address;
    this.grantStepBytes = Math.max(1, creditBytes / GRANT_FRACTION);
    ClientCall<SubscribeRequest, SubscribeResponse> call = channel.newCall(SluiceMethods.SUBSCRIBE, CallOptions.DEFAULT);
    requests = (ClientCallStreamObserver<SubscribeRequest>) ClientCalls.asyncBidiStreamingCall(call,
        new StreamObserver<SubscribeResponse>() {
          @Override
          public void onNext(SubscribeResponse r) {
            items.add(r.getData());
          }

          @Override
          public void onError(Throwable t) {
            items.add(new Ended(t));
          }

          @Override
          public void onCompleted() {
            items.add(new Ended(null));
          }
        });
    SubscribeRequest.Builder first = SubscribeRequest.newBuilder().setCreditBytes(creditBytes);
    positions.forEach((tp, offset) -> first.addPartitions(PartitionFetch.newBuilder()
        .setTopic(tp.topic()).setPartition(tp.partition()).setOffset(offset)));
    requests.onNext(first.build());
  }

  /** The next {@link PartitionData} or {@link Ended}, or null when none arrives in time. */
  Object take(long timeoutNanos) throws InterruptedException {
    return items.poll(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
  }

  /** Without waiting or removing: the next item, or null. */
  Object peek() {
    return items.peek();
  }

  /** Without waiting: the next item, or null. */
  Object takeNow() {
    return items.poll();
  }

  /**
   * Notes that {@code bytes} were consumed; lets the node send that much more once the consumed
   * bytes not yet granted back reach the grant step.
   */
  void grant(long bytes) {
    if (bytes <= 0) {
      return;
    }
    ungrantedBytes += bytes;
    if (ungrantedBytes >= grantStepBytes) {
      requests.onNext(SubscribeRequest.newBuilder().setCreditBytes(ungrantedBytes).build());
      ungrantedBytes = 0;
    }
  }

  static long bytesOf(PartitionData data) {
    long bytes = 0;
    for (var b : data.getBatchesList()) {
      bytes += b.size();
    }
    return bytes;
  }

  @Override
  public void close() {
    requests.cancel("consumer moved on", null);
  }
}
