package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.client.TopicPartition;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Subscribe stream's credit: bounded, never stalls, and granted back in steps rather than per poll. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsumerStreamTest {
  private static final int BATCH_BYTES = 1024;
  private static final int BATCHES = 200;
  private static final long WINDOW_BYTES = 16 * 1024;

  /** A node that pushes one 1 KiB batch at a time while it has credit, like Subscription. */
  private static final class CreditNode {
    final AtomicInteger grants = new AtomicInteger();
    private long credit;
    private int sent;
    private long outstandingMax;
    private long consumedReported;

    StreamObserver<SubscribeRequest> subscribe(StreamObserver<SubscribeResponse> out) {
      return new StreamObserver<>() {
        private boolean first = true;

        @Override
        public void onNext(SubscribeRequest r) {
          synchronized (CreditNode.this) {
            if (!first) {
              grants.incrementAndGet();
              consumedReported += r.getCreditBytes();
            }
            first = false;
            credit += r.getCreditBytes();
            while (credit > 0 && sent < BATCHES) {
              out.onNext(SubscribeResponse.newBuilder().setData(PartitionData.newBuilder().setTopic("t")
                  .setPartition(0).addBatches(ByteString.copyFrom(new byte[BATCH_BYTES]))).build());
              credit -= BATCH_BYTES;
              sent++;
              outstandingMax = Math.max(outstandingMax, (long) sent * BATCH_BYTES - consumedReported);
            }
          }
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }
  }

  @Test
  void grantsConsumedBytesBackInStepsAndNeverStalls() throws Exception {
    String name = "stream-" + UUID.randomUUID();
    CreditNode node = new CreditNode();
    ServerServiceDefinition service = ServerServiceDefinition.builder(SluiceMethods.SUBSCRIBE.getServiceName())
        .addMethod(SluiceMethods.SUBSCRIBE, ServerCalls.asyncBidiStreamingCall(node::subscribe)).build();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      ConsumerStream stream = new ConsumerStream(channel, name, Map.of(new TopicPartition("t", 0), 0L), WINDOW_BYTES);
      for (int i = 0; i < BATCHES; i++) {
        Object item = stream.take(TimeUnit.SECONDS.toNanos(10));
        PartitionData data = assertInstanceOf(PartitionData.class, item, "batch " + i + " arrived (no stall)");
        stream.grant(ConsumerStream.bytesOf(data)); // what the consumer does after each poll
      }
      stream.close();
      // 200 KiB through a 16 KiB window: one grant per 4 KiB consumed, not one per poll.
      long step = WINDOW_BYTES / ConsumerStream.GRANT_FRACTION;
      assertTrue(node.grants.get() <= BATCHES * BATCH_BYTES / step + 1,
          node.grants.get() + " credit messages for " + BATCHES + " polls");
      synchronized (node) {
        assertEquals(BATCHES, node.sent);
        assertTrue(node.outstandingMax <= WINDOW_BYTES + BATCH_BYTES,
            "never more than the window (plus one batch) unconsumed: " + node.outstandingMax);
      }
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
