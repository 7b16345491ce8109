package io.sluice.node.metrics;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.protocol.SluiceErrors;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts and times every client RPC as a gRPC interceptor, so the services need no metrics code:
 * latency per RPC, produce and fetch outcomes, every error status sent (by its
 * {@link ErrorReason}), and, through {@link TopicMeters}, per-topic records and bytes.
 *
 * <p>Series are bounded: {@code rpc} is one of the registered methods; {@code reason} is an
 * {@link ErrorReason} name, or the gRPC status code's name for errors without one.
 *
 * <p>Thread-safe.
 */
final class RpcMetrics implements ServerInterceptor {
  static final String PRODUCE = "produce";
  static final String FETCH = "fetch";

  /** Latency buckets (seconds): from a fast in-memory reply to a commit timeout. */
  private static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final TopicMeters topics;
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  RpcMetrics(MeterRegistry registry, TopicMeters topics) {
    this.registry = registry;
    this.topics = topics;
    // Present from the start, so dashboards show zero rather than "no data".
    for (String result : new String[] {"ok", "rejected", "indeterminate"}) {
      counter("sluice.produce.requests", "result", result);
    }
    counter("sluice.fetch.requests", "result", "ok");
    counter("sluice.fetch.requests", "result", "error");
    counter("sluice.subscribe.pushes");
    timer(PRODUCE);
    timer(FETCH);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    String rpc = rpcName(call.getMethodDescriptor().getBareMethodName());
    long startNanos = System.nanoTime();
    AtomicReference<ProduceRequest> produceRequest = new AtomicReference<>();
    ServerCall<Q, R> observed = new SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(R message) {
        if (message instanceof ProduceResponse) {
          ProduceRequest request = produceRequest.get();
          if (request != null) {
            topics.produced(request);
          }
        } else if (message instanceof FetchResponse f) {
          topics.fetched(f);
        } else if (message instanceof io.sluice.api.v1.SubscribeResponse s) {
          counter("sluice.subscribe.pushes").increment();
          topics.fetched(s.getData());
        }
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        finished(rpc, status, trailers, System.nanoTime() - startNanos);
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> listener = next.startCall(observed, headers);
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        if (message instanceof ProduceRequest p) {
          produceRequest.set(p);
        }
        super.onMessage(message);
      }
    };
  }

  private void finished(String rpc, Status status, Metadata trailers, long nanos) {
    timer(rpc).record(nanos, TimeUnit.NANOSECONDS);
    ErrorInfo info = status.isOk() ? null : errorInfo(status, trailers);
    if (!status.isOk()) {
      String reason = info != null && isKnownReason(info.getReason()) ? info.getReason() : status.getCode().name();
      counter("sluice.rejected.requests", "rpc", rpc, "reason", reason).increment();
    }
    if (rpc.equals(PRODUCE)) {
      String result;
      if (status.isOk()) {
        result = "ok";
      } else if (info != null && SluiceErrors.NOT_WRITTEN.equals(info.getMetadataMap().get(SluiceErrors.WRITE_OUTCOME))) {
        result = "rejected";
      } else {
        result = "indeterminate"; // an error that does not say "not written" may have been written
      }
      counter("sluice.produce.requests", "result", result).increment();
    } else if (rpc.equals(FETCH)) {
      counter("sluice.fetch.requests", "result", status.isOk() ? "ok" : "error").increment();
    }
  }

  private static ErrorInfo errorInfo(Status status, Metadata trailers) {
    com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(status, trailers);
    for (Any any : details.getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        try {
          return any.unpack(ErrorInfo.class);
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }

  private static boolean isKnownReason(String reason) {
    try {
      ErrorReason r = ErrorReason.valueOf(reason);
      return r != ErrorReason.UNRECOGNIZED;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** {@code CreateTopic} → {@code create_topic}. */
  static String rpcName(String bareMethodName) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < bareMethodName.length(); i++) {
      char c = bareMethodName.charAt(i);
      if (Character.isUpperCase(c) && i > 0) {
        sb.append('_');
      }
      sb.append(Character.toLowerCase(c));
    }
    return sb.toString();
  }

  private Timer timer(String rpc) {
    return latency.computeIfAbsent(rpc, r -> Timer.builder("sluice.request.latency")
        .tag("rpc", r)
        .description("Time from receiving a client RPC to sending its status (fetch includes its long-poll wait)")
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(registry));
  }

  private Counter counter(String name, String... tags) {
    return counters.computeIfAbsent(name + "\u0000" + String.join("\u0000", tags), k -> Counter.builder(name)
        .tags(tags)
        .description(switch (name) {
          case "sluice.produce.requests" -> "Produce requests by outcome: ok, rejected (certainly not written), "
              + "indeterminate (may have been written)";
          case "sluice.fetch.requests" -> "Fetch requests by outcome";
          case "sluice.subscribe.pushes" -> "Responses pushed on Subscribe streams";
          default -> "Error statuses sent to clients, by RPC and reason";
        })
        .register(registry));
  }
}
