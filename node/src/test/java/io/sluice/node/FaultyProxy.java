package io.sluice.node;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ClusterServiceGrpc;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gRPC proxy in front of one node's client API, for tests. It forwards every call of the Sluice
 * services and, while its {@link Faults} are on, injects into Produce calls what a network and a
 * failing server can do to them: the answer lost after the node wrote the batches (the client
 * sees UNAVAILABLE, an unknown outcome), and a copy of the request delivered again later, after
 * newer requests (a duplicated, reordered delivery). A node advertises its proxy's address
 * ({@code advertised.listen}), so an unmodified SDK client talks to the cluster only through
 * proxies. Thread-safe.
 */
final class FaultyProxy implements AutoCloseable {
  private static final String PRODUCE = ProduceServiceGrpc.getProduceMethod().getFullMethodName();
  private static final int MESSAGE_BYTES_MAX = 128 * 1024 * 1024;

  /** The fault plan and tallies shared by a cluster's proxies; every decision comes from one seeded Random. */
  static final class Faults implements AutoCloseable {
    final int lostPercent;
    final int copyPercent;
    final long copyDelayMsMax;
    volatile boolean on;
    private final Random random;
    private final ScheduledExecutorService copier = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "faulty-proxy-copier");
      t.setDaemon(true);
      return t;
    });
    /** Produce answers replaced by UNAVAILABLE although the node wrote the batches. */
    final AtomicInteger answersLost = new AtomicInteger();
    /** Produce answers relayed to the client with a batch marked duplicate: a retry recognised. */
    final AtomicInteger duplicateAnswers = new AtomicInteger();
    final AtomicInteger copiesSent = new AtomicInteger();
    /** Copies answered duplicate, or refused as out of order (too old to be remembered): not stored. */
    final AtomicInteger copiesNotStored = new AtomicInteger();
    /** Copies that got there first (their original is then the duplicate). */
    final AtomicInteger copiesStoredFirst = new AtomicInteger();
    /** Copies that failed otherwise (not the leader, node down, ...). */
    final AtomicInteger copiesFailed = new AtomicInteger();
    private final AtomicInteger copiesOutstanding = new AtomicInteger();

    Faults(long seed, int lostPercent, int copyPercent, long copyDelayMsMax) {
      this.random = new Random(seed);
      this.lostPercent = lostPercent;
      this.copyPercent = copyPercent;
      this.copyDelayMsMax = copyDelayMsMax;
    }

    private int roll(int bound) {
      synchronized (random) {
        return random.nextInt(bound);
      }
    }

    /** Waits until every scheduled copy has been answered. */
    void awaitCopies(Duration timeout) {
      TestCluster.await(timeout, "delayed copies to be answered", () -> copiesOutstanding.get() == 0);
    }

    @Override
    public String toString() {
      return "answersLost=" + answersLost + " duplicateAnswers=" + duplicateAnswers + " copiesSent=" + copiesSent
          + " copiesNotStored=" + copiesNotStored + " copiesStoredFirst=" + copiesStoredFirst
          + " copiesFailed=" + copiesFailed;
    }

    @Override
    public void close() {
      copier.shutdownNow();
    }
  }

  final String address;
  private final Faults faults;
  private final ManagedChannel target;
  private final Server server;

  FaultyProxy(int port, String targetAddress, Faults faults) throws IOException {
    this.address = "127.0.0.1:" + port;
    this.faults = faults;
    this.target = NettyChannelBuilder.forTarget(targetAddress).usePlaintext()
        .maxInboundMessageSize(MESSAGE_BYTES_MAX).build();
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .maxInboundMessageSize(MESSAGE_BYTES_MAX);
    for (ServiceDescriptor service : List.of(ProduceServiceGrpc.getServiceDescriptor(),
        FetchServiceGrpc.getServiceDescriptor(), TopicServiceGrpc.getServiceDescriptor(),
        ClusterServiceGrpc.getServiceDescriptor())) {
      ServerServiceDefinition.Builder def = ServerServiceDefinition.builder(service);
      for (MethodDescriptor<?, ?> m : service.getMethods()) {
        addForwarding(def, m);
      }
      b.addService(def.build());
    }
    this.server = b.build().start();
  }

  private <Q, R> void addForwarding(ServerServiceDefinition.Builder def, MethodDescriptor<Q, R> m) {
    def.addMethod(m, ServerCalls.asyncUnaryCall((Q request, StreamObserver<R> out) -> forward(m, request, out)));
  }

  /**
   * Forwards one call within the caller's gRPC context, so the client's deadline and
   * cancellation reach the node as they would without the proxy.
   */
  private <Q, R> void forward(MethodDescriptor<Q, R> m, Q request, StreamObserver<R> out) {
    boolean produce = m.getFullMethodName().equals(PRODUCE);
    int roll = produce && faults.on ? faults.roll(100) : 100;
    if (roll < faults.copyPercent) {
      sendCopyLater(m, request);
    }
    boolean loseAnswer = roll >= faults.copyPercent && roll < faults.copyPercent + faults.lostPercent;
    ClientCalls.asyncUnaryCall(target.newCall(m, CallOptions.DEFAULT), request, new StreamObserver<>() {
      private R value;

      @Override
      public void onNext(R v) {
        value = v;
      }

      @Override
      public void onError(Throwable t) {
        out.onError(t); // trailers (the ErrorInfo) travel with it
      }

      @Override
      public void onCompleted() {
        if (loseAnswer) {
          faults.answersLost.incrementAndGet();
          out.onError(Status.UNAVAILABLE.withDescription("injected by the test proxy: answer lost").asRuntimeException());
          return;
        }
        if (produce && anyDuplicate(value)) {
          faults.duplicateAnswers.incrementAndGet();
        }
        out.onNext(value);
        out.onCompleted();
      }
    });
  }

  /** Delivers {@code request} once more after a random delay, outside the caller's context. */
  private <Q, R> void sendCopyLater(MethodDescriptor<Q, R> m, Q request) {
    faults.copiesSent.incrementAndGet();
    faults.copiesOutstanding.incrementAndGet();
    long delayMs = faults.roll((int) faults.copyDelayMsMax + 1);
    Runnable deliver = () -> ClientCalls.asyncUnaryCall(
        target.newCall(m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)), request, new StreamObserver<R>() {
          @Override
          public void onNext(R v) {
            (anyDuplicate(v) ? faults.copiesNotStored : faults.copiesStoredFirst).incrementAndGet();
          }

          @Override
          public void onError(Throwable t) {
            ("OUT_OF_ORDER_SEQUENCE".equals(reason(t)) ? faults.copiesNotStored : faults.copiesFailed).incrementAndGet();
            faults.copiesOutstanding.decrementAndGet();
          }

          @Override
          public void onCompleted() {
            faults.copiesOutstanding.decrementAndGet();
          }
        });
    try {
      faults.copier.schedule(() -> Context.ROOT.run(deliver), delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      faults.copiesOutstanding.decrementAndGet();
    }
  }

  private static boolean anyDuplicate(Object response) {
    return response instanceof ProduceResponse r && r.getResultsList().stream().anyMatch(PartitionResult::getDuplicate);
  }

  /** The sluice ErrorInfo reason of a failed call, or null. */
  static String reason(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return detail.unpack(ErrorInfo.class).getReason();
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }

  @Override
  public void close() {
    server.shutdownNow();
    target.shutdownNow();
  }
}
