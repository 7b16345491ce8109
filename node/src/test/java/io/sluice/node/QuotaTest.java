package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.SubscribeRequest;
import io.sluice.api.v1.SubscribeResponse;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.node.security.Principal;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Produce and fetch byte-rate quotas on one node. Each test uses its own principal (set by a test
 * interceptor from a request header, as authentication will), and so its own token buckets.
 *
 * <p>The rate checks are lower bounds on time (a throttled client cannot be faster than its quota
 * allows); a loaded machine only makes them slower, never makes them fail.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class QuotaTest {
  static final Metadata.Key<String> PRINCIPAL_HEADER = Metadata.Key.of("x-test-principal", Metadata.ASCII_STRING_MARSHALLER);
  static final long RATE = 100_000; // bytes/s, produce and fetch default
  static final long SLOW_RATE = 20_000; // the override of principal "slow"
  static final int THROTTLE_MAX_MS = 1000;

  @TempDir
  static Path tmp;
  static SluiceNode node;
  static ManagedChannel channel;

  /** Puts the principal named by the x-test-principal header in the call's Context (no header: anonymous). */
  static final class TestPrincipal implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
        ServerCallHandler<Q, R> next) {
      String name = headers.get(PRINCIPAL_HEADER);
      if (name == null) {
        return next.startCall(call, headers);
      }
      return Contexts.interceptCall(Context.current().withValue(Principal.CONTEXT_KEY, new Principal(name)), call,
          headers, next);
    }
  }

  /** A one-node cluster started directly (so its client port sees no other traffic), with extra interceptors. */
  static SluiceNode startNode(Path dir, Map<String, String> extra, ServerInterceptor... interceptors) throws Exception {
    int raft = TestCluster.freePort();
    Map<String, String> c = new LinkedHashMap<>();
    c.put("node.id", "n1");
    c.put("data.dir", dir.toString());
    c.put("listen", "127.0.0.1:" + TestCluster.freePort());
    c.put("raft.listen", "127.0.0.1:" + raft);
    c.put("peers", "n1=127.0.0.1:" + raft);
    c.put("raft.election.timeout.min.ms", "1000");
    c.put("raft.election.timeout.max.ms", "2000");
    c.put("http.listen", "127.0.0.1:0");
    c.putAll(extra);
    SluiceNode n = new SluiceNode(NodeConfig.of(c));
    for (ServerInterceptor i : interceptors) {
      n.intercept(i);
    }
    n.start();
    TestCluster.await(Duration.ofSeconds(60), "n1 leads and is ready",
        () -> n.isLeader() && n.division().getInfo().isLeaderReady());
    TestCluster.await(Duration.ofSeconds(30), "n1's client address registered", () -> n.core().nodes().containsKey("n1"));
    return n;
  }

  static ManagedChannel channel(SluiceNode n) {
    return NettyChannelBuilder.forTarget(n.config().get(NodeConfig.LISTEN)).usePlaintext().build();
  }

  @BeforeAll
  static void start() throws Exception {
    node = startNode(tmp.resolve("n1"), Map.of(
        "quota.produce.bytes.per.second", Long.toString(RATE),
        "quota.fetch.bytes.per.second", Long.toString(RATE),
        "quota.throttle.max.ms", Integer.toString(THROTTLE_MAX_MS),
        "quota.principal.overrides", "vip:0:0;slow:" + SLOW_RATE + ":" + SLOW_RATE), new TestPrincipal());
    channel = channel(node);
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (node != null) {
      node.close();
    }
  }

  static <S extends AbstractStub<S>> S as(String principal, S stub) {
    if (principal == null) {
      return stub;
    }
    Metadata md = new Metadata();
    md.put(PRINCIPAL_HEADER, principal);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  static void createTopic(String name) {
    TopicServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(1).build());
  }

  static ProduceRequest request(String topic, int valueBytes) {
    byte[] batch = RecordBatch.builder().add(1, null, new byte[valueBytes], List.of()).build();
    return ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(0)
        .setRecords(ByteString.copyFrom(batch))).build();
  }

  static long produceSequentially(String principal, String topic, int requests, int valueBytes) {
    var stub = as(principal, ProduceServiceGrpc.newBlockingStub(channel));
    long bytes = 0;
    for (int i = 0; i < requests; i++) {
      ProduceRequest r = request(topic, valueBytes);
      stub.withDeadlineAfter(60, TimeUnit.SECONDS).produce(r);
      bytes += r.getSerializedSize();
    }
    return bytes;
  }

  long endOffset(String topic) {
    return FetchServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .listOffsets(ListOffsetsRequest.newBuilder().addPartitions(io.sluice.api.v1.PartitionRef.newBuilder().setTopic(topic))
            .build()).getPartitions(0).getEndOffset();
  }

  /** The least time {@code bytes} can take at {@code rate} after the one-second burst, in ms. */
  static long minimumMs(long bytes, long rate) {
    return (bytes - rate) * 1000 / rate;
  }

  @Test
  void produceIsThrottledToTheQuota() {
    createTopic("p-throttle");
    long startNanos = System.nanoTime();
    long bytes = produceSequentially("producer", "p-throttle", 12, 50_000); // 600 KB at 100 KB/s
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    System.out.printf("QuotaTest: produced %d bytes in %d ms = %d bytes/s under a %d bytes/s quota%n", bytes, ms,
        bytes * 1000 / Math.max(ms, 1), RATE);
    // Every request was accepted (throttled, not refused) and took at least what the rate allows.
    assertEquals(12, endOffset("p-throttle"));
    assertTrue(ms >= minimumMs(bytes, RATE) - 100, "600 KB at 100 KB/s (1 s burst) take at least "
        + minimumMs(bytes, RATE) + " ms, took " + ms);
  }

  @Test
  void overQuotaBeyondThrottleMaxIsRefusedWithRetryInfoAndNotWritten() throws Exception {
    createTopic("p-burst");
    var stub = ProduceServiceGrpc.newFutureStub(channel); // no header: the anonymous principal
    List<com.google.common.util.concurrent.ListenableFuture<ProduceResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) { // 1 MB at once: far over 1 s burst + 1 s of throttle at 100 KB/s
      calls.add(stub.withDeadlineAfter(60, TimeUnit.SECONDS).produce(request("p-burst", 50_000)));
    }
    int accepted = 0;
    long retryMs = 0;
    for (var call : calls) {
      try {
        call.get(90, TimeUnit.SECONDS);
        accepted++;
      } catch (java.util.concurrent.ExecutionException e) {
        StatusRuntimeException s = (StatusRuntimeException) e.getCause();
        ErrorInfo info = BadInputTest.expectError(Status.Code.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED", () -> {
          throw s;
        });
        assertEquals(SluiceErrors.NOT_WRITTEN, info.getMetadataOrThrow(SluiceErrors.WRITE_OUTCOME));
        assertTrue(s.getStatus().getDescription().contains("anonymous"), s.getStatus().getDescription());
        RetryInfo retry = StatusProto.fromThrowable(s).getDetailsList().stream().filter(a -> a.is(RetryInfo.class))
            .map(a -> {
              try {
                return a.unpack(RetryInfo.class);
              } catch (Exception x) {
                throw new AssertionError(x);
              }
            }).findFirst().orElseThrow(() -> new AssertionError("no RetryInfo in " + s));
        long ms = retry.getRetryDelay().getSeconds() * 1000 + retry.getRetryDelay().getNanos() / 1_000_000;
        assertTrue(ms >= 1 && ms <= 20_000, "retry delay " + ms + " ms");
        retryMs = Math.max(retryMs, ms);
      }
    }
    System.out.printf("QuotaTest: %d of 20 concurrent 50 KB requests accepted, the rest refused (retry in <= %d ms)%n",
        accepted, retryMs);
    assertTrue(accepted >= 1 && accepted < 20, accepted + " accepted");
    // Refused means not written: the log holds exactly the accepted requests.
    assertEquals(accepted, endOffset("p-burst"));
    // After the delay the node asked for, the same request is accepted again.
    Thread.sleep(retryMs + 50);
    ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).produce(request("p-burst", 50_000));
    assertEquals(accepted + 1, endOffset("p-burst"));
    // Counted in metrics.
    var registry = node.monitoring().registry();
    assertTrue(registry.get("sluice.quota.refused").tag("kind", "produce").functionCounter().count() >= 20 - accepted);
    assertTrue(registry.get("sluice.quota.throttle").tag("kind", "produce").functionCounter().count() > 0);
  }

  @Test
  void perPrincipalOverridesBeatTheDefault() throws Exception {
    createTopic("p-override");
    // "slow" has 20 KB/s instead of 100 KB/s: 100 KB, within the default's burst, takes it about 4 s.
    long startNanos = System.nanoTime();
    long bytes = produceSequentially("slow", "p-override", 5, 20_000);
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    assertTrue(ms >= minimumMs(bytes, SLOW_RATE) - 100, "100 KB at 20 KB/s take at least "
        + minimumMs(bytes, SLOW_RATE) + " ms, took " + ms);
    // "vip" is unlimited: what gets the default principal refused (previous test) is all accepted.
    var stub = as("vip", ProduceServiceGrpc.newFutureStub(channel));
    List<com.google.common.util.concurrent.ListenableFuture<ProduceResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      calls.add(stub.withDeadlineAfter(60, TimeUnit.SECONDS).produce(request("p-override", 50_000)));
    }
    for (var call : calls) {
      call.get(90, TimeUnit.SECONDS);
    }
    assertEquals(25, endOffset("p-override"));
  }

  @Test
  void fetchIsThrottledToTheQuota() {
    createTopic("f-throttle");
    produceSequentially("vip", "f-throttle", 6, 100_000);
    var fetch = as("reader", FetchServiceGrpc.newBlockingStub(channel));
    long startNanos = System.nanoTime();
    long offset = 0;
    long bytes = 0;
    while (offset < 6) {
      FetchResponse r = fetch.withDeadlineAfter(60, TimeUnit.SECONDS).fetch(FetchRequest.newBuilder()
          .addPartitions(PartitionFetch.newBuilder().setTopic("f-throttle").setOffset(offset).setMaxBytes(100_000))
          .build());
      for (ByteString b : r.getPartitions(0).getBatchesList()) {
        bytes += b.size();
        offset = RecordBatch.lastOffset(b.asReadOnlyByteBuffer()) + 1;
      }
    }
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    System.out.printf("QuotaTest: fetched %d bytes in %d ms under a %d bytes/s quota%n", bytes, ms, RATE);
    assertTrue(ms >= minimumMs(bytes, RATE) - 100, "600 KB at 100 KB/s take at least " + minimumMs(bytes, RATE)
        + " ms, took " + ms);
  }

  @Test
  void subscribeSendsPauseWhileOverTheFetchQuota() throws Exception {
    createTopic("s-throttle");
    produceSequentially("vip", "s-throttle", 6, 100_000);
    AtomicLong bytes = new AtomicLong();
    CompletableFuture<Long> done = new CompletableFuture<>();
    long startNanos = System.nanoTime();
    StreamObserver<SubscribeRequest> requests = as("streamer", FetchServiceGrpc.newStub(channel))
        .subscribe(new StreamObserver<>() {
          long offset;

          @Override
          public void onNext(SubscribeResponse r) {
            for (ByteString b : r.getData().getBatchesList()) {
              bytes.addAndGet(b.size());
              offset = RecordBatch.lastOffset(b.asReadOnlyByteBuffer()) + 1;
            }
            if (offset >= 6) {
              done.complete(System.nanoTime());
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(SubscribeRequest.newBuilder().setCreditBytes(100L << 20)
        .addPartitions(PartitionFetch.newBuilder().setTopic("s-throttle")).build());
    long ms = TimeUnit.NANOSECONDS.toMillis(done.get(60, TimeUnit.SECONDS) - startNanos);
    requests.onCompleted();
    System.out.printf("QuotaTest: a Subscribe stream received %d bytes in %d ms under a %d bytes/s quota%n",
        bytes.get(), ms, RATE);
    // Each send is sized by the principal's tokens (at least one batch) and the stream then pauses
    // until the excess is paid back: the last send goes out before its pause, so one batch is free.
    long minimum = minimumMs(bytes.get() - bytes.get() / 6, RATE) - 100;
    assertTrue(ms >= minimum, "600 KB at 100 KB/s (1 s burst, the last batch unpaid) take at least "
        + minimum + " ms, took " + ms);
  }
}
