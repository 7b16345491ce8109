package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.client.IndeterminateException;
import io.sluice.client.SluiceException;
import io.sluice.client.UnavailableException;
import io.sluice.client.WriteOutcome;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Over real TCP (Netty): a write that never left the client is NOT_WRITTEN (retriable), one that
 * reached the server and got no answer is indeterminate. The in-process transport cannot show
 * the difference, so this test uses loopback sockets.
 */
class RpcClientNettyTest {
  private final RpcClient rpc = new RpcClient(RpcClient::nettyChannel);
  private Server server;

  @AfterEach
  void tearDown() {
    rpc.close();
    if (server != null) {
      server.shutdownNow();
    }
  }

  private static SluiceException failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
    return assertInstanceOf(SluiceException.class, e.getCause());
  }

  private CompletableFuture<ProduceResponse> produce(String address, Duration timeout) {
    return rpc.call(address, SluiceMethods.PRODUCE, ProduceRequest.getDefaultInstance(), timeout, true);
  }

  @Test
  void connectionRefusedIsNotWritten() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    SluiceException e = failure(produce("127.0.0.1:" + port, Duration.ofSeconds(10)));

    assertInstanceOf(UnavailableException.class, e);
    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome());
    assertTrue(e.retriable());
  }

  @Test
  void connectionLostAfterSendingIsIndeterminate() throws Exception {
    CountDownLatch received = new CountDownLatch(1);
    String address = startSilentServer(received);
    CompletableFuture<ProduceResponse> f = produce(address, Duration.ofSeconds(10));
    assertTrue(received.await(20, TimeUnit.SECONDS));
    server.shutdownNow(); // the connection drops mid-call

    SluiceException e = failure(f);

    assertInstanceOf(IndeterminateException.class, e);
    assertEquals(WriteOutcome.UNKNOWN, e.writeOutcome());
  }

  @Test
  void deadlineAfterSendingIsIndeterminate() throws Exception {
    String address = startSilentServer(new CountDownLatch(1));

    SluiceException e = failure(produce(address, Duration.ofMillis(300)));

    assertInstanceOf(IndeterminateException.class, e);
  }

  private String startSilentServer(CountDownLatch received) throws Exception {
    ServerServiceDefinition def = ServerServiceDefinition.builder("sluice.v1.ProduceService")
        .addMethod(SluiceMethods.PRODUCE, ServerCalls.asyncUnaryCall((q, o) -> received.countDown()))
        .build();
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(def).build().start();
    return "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }
}
