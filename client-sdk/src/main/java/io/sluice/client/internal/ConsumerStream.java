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
 * (plus one batch) is ever buffered here.
 *
 * <p>Thread-safety: responses arrive on gRPC threads into a queue; {@link #take}, {@link #grant}
 * and {@link #close} are called by the consumer's thread.
 */
final class ConsumerStream implements AutoCloseable {
  /** The stream ended; {@code cause} is the status error (or null for a clean end). */
  record Ended(Throwable cause) {}

  final String address;
  private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
  private final ClientCallStreamObserver<SubscribeRequest> requests;

  ConsumerStream(ManagedChannel channel, String address, Map<TopicPartition, Long> positions, long creditBytes) {
    this.address = address;
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

  /** Lets the node send {@code bytes} more (after they were consumed). */
  void grant(long bytes) {
    if (bytes > 0) {
      requests.onNext(SubscribeRequest.newBuilder().setCreditBytes(bytes).build());
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
