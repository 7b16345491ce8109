package io.sluice.client.internal;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.client.SluiceException;
import io.sluice.client.WriteOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One gRPC channel per node address, created on first use, and unary calls on them that always
 * carry a deadline and fail with typed {@link io.sluice.client.SluiceException}s.
 *
 * <p>Each call tracks whether its request headers reached the socket (a stream tracer's
 * {@code outboundHeaders}); a write that fails before that point is known NOT_WRITTEN.
 *
 * <p>Thread-safe.
 */
public final class RpcClient implements AutoCloseable {
  /**
   * Default largest response accepted, in bytes (128 MiB): a fetch returns at least one whole
   * batch, however large, so this stays well above the node's fetch.bytes.max (8 MiB by default).
   */
  public static final int INBOUND_MESSAGE_BYTES_MAX = 128 * 1024 * 1024;
  /** Largest block of response headers/trailers accepted, in bytes (error details travel here). */
  static final int INBOUND_METADATA_BYTES_MAX = 64 * 1024;

  private final Function<String, ManagedChannel> channelFactory;
  private final ConcurrentHashMap<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  private final boolean tls;
  private volatile boolean closed;

  /** @param channelFactory makes the channel for a host:port address; see {@link #nettyChannel} */
  public RpcClient(Function<String, ManagedChannel> channelFactory) {
    this(channelFactory, false);
  }

  /**
   * @param channelFactory makes the channel for a host:port address; see {@link #nettyChannel}
   * @param tls whether those channels use TLS (for the hints of transport errors)
   */
  public RpcClient(Function<String, ManagedChannel> channelFactory, boolean tls) {
    this.channelFactory = channelFactory;
    this.tls = tls;
  }

  /** Whether the channels use TLS. */
  public boolean tls() {
    return tls;
  }

  /** A plaintext Netty channel to {@code address} (host:port) with the default inbound limits. */
  public static ManagedChannel nettyChannel(String address) {
    return nettyChannel(address, INBOUND_MESSAGE_BYTES_MAX);
  }

  /**
   * A plaintext Netty channel to {@code address} (host:port) that reads responses of at most
   * {@code inboundMessageBytesMax} bytes (a larger one fails that call with RESOURCE_EXHAUSTED).
   */
  public static ManagedChannel nettyChannel(String address, int inboundMessageBytesMax) {
    return nettyChannel(address, inboundMessageBytesMax, null);
  }

  /**
   * Like {@link #nettyChannel(String, int)}, over TLS when {@code tls} is not null (the server's
   * certificate must name the host of {@code address} among its subjectAltNames).
   */
  public static ManagedChannel nettyChannel(String address, int inboundMessageBytesMax, ClientTls tls) {
    Addresses.HostPort hp = Addresses.split(address);
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(hp.host(), hp.port());
    if (tls == null) {
      b.usePlaintext();
    } else {
      b.sslContext(tls.sslContext()).useTransportSecurity();
    }
    return b
        .maxInboundMessageSize(inboundMessageBytesMax)
        .maxInboundMetadataSize(INBOUND_METADATA_BYTES_MAX)
        .build();
  }

  /**
   * Starts a unary call. The future completes on the gRPC executor, with the response or a
   * {@link io.sluice.client.SluiceException}; always by {@code timeout}.
   *
   * @param isWrite whether the call may change the log (decides indeterminate vs not written)
   */
  public <Q, R> CompletableFuture<R> call(String address, MethodDescriptor<Q, R> method, Q request,
      Duration timeout, boolean isWrite) {
    CompletableFuture<R> result = new CompletableFuture<>();
    if (closed) {
      result.completeExceptionally(closedError(isWrite ? WriteOutcome.NOT_WRITTEN : WriteOutcome.NOT_A_WRITE, null));
      return result;
    }
    AtomicBoolean sent = new AtomicBoolean();
    try {
      ManagedChannel channel = channel(address);
      if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
        // Our callers back off between attempts, so skip gRPC's own reconnect backoff (up to
        // 2 minutes), which would hide a restarted node for that long.
        channel.resetConnectBackoff();
      }
      CallOptions options = CallOptions.DEFAULT
          .withDeadlineAfter(Math.max(1, timeout.toNanos()), TimeUnit.NANOSECONDS)
          .withStreamTracerFactory(new SentTracker(sent));
      ClientCall<Q, R> call = channel.newCall(method, options);
      ClientCalls.asyncUnaryCall(call, request, new StreamObserver<>() {
        private R value;

        @Override
        public void onNext(R v) {
          value = v;
        }

        @Override
        public void onError(Throwable t) {
          result.completeExceptionally(ErrorMapper.map(t, isWrite, sent.get(), address, tls));
        }

        @Override
        public void onCompleted() {
          result.complete(value);
        }
      });
    } catch (RuntimeException e) {
      result.completeExceptionally(ErrorMapper.map(e, isWrite, sent.get(), address, tls));
    }
    return result;
  }

  /** The error of any call made after close(): not retriable, since no retry can succeed. */
  public static SluiceException closedError(WriteOutcome outcome, Throwable cause) {
    return new SluiceException("the client is closed", null, null, outcome, false, cause);
  }

  ManagedChannel channel(String address) {
    return channels.computeIfAbsent(address, channelFactory);
  }

  /** A channel for a streaming call; fails at once, like {@link #call}, once the client is closed. */
  ManagedChannel streamChannel(String address) {
    if (closed) {
      throw closedError(WriteOutcome.NOT_A_WRITE, null);
    }
    ManagedChannel channel = channel(address);
    if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
      channel.resetConnectBackoff();
    }
    return channel;
  }

  /** Shuts every channel down, failing calls in flight, and waits up to 5 s for them to end. */
  @Override
  public void close() {
    closed = true;
    List<ManagedChannel> all = new ArrayList<>(channels.values());
    all.forEach(ManagedChannel::shutdownNow);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (ManagedChannel ch : all) {
      try {
        ch.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Records that a call's request headers were written to the socket. */
  private static final class SentTracker extends ClientStreamTracer.Factory {
    private final AtomicBoolean sent;

    SentTracker(AtomicBoolean sent) {
      this.sent = sent;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
      return new ClientStreamTracer() {
        @Override
        public void outboundHeaders() {
          sent.set(true);
        }

        @Override
        public void outboundMessage(int seqNo) {
          sent.set(true);
        }
      };
    }
  }
}
