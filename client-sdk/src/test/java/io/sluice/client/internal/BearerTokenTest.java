package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ClusterServiceGrpc;
import io.sluice.api.v1.DescribeClusterRequest;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.client.SluiceClient;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The token reaches the server as {@code authorization: Bearer <token>} and never shows in strings. */
class BearerTokenTest {
  @Test
  void everyCallCarriesTheBearerHeader() throws Exception {
    AtomicReference<String> seen = new AtomicReference<>();
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        seen.set(headers.get(BearerToken.AUTHORIZATION));
        return next.startCall(call, headers);
      }
    };
    String name = InProcessServerBuilder.generateName();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new ClusterServiceGrpc.ClusterServiceImplBase() {
          @Override
          public void describeCluster(DescribeClusterRequest r, StreamObserver<DescribeClusterResponse> o) {
            o.onNext(DescribeClusterResponse.newBuilder().setClusterId("c").build());
            o.onCompleted();
          }
        }, capture)).build().start();
    ManagedChannel channel = new BearerToken("s3cret-token").applyTo(
        InProcessChannelBuilder.forName(name).directExecutor().build());
    try {
      ClusterServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .describeCluster(DescribeClusterRequest.getDefaultInstance());
      assertEquals("Bearer s3cret-token", seen.get());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  @Test
  void theTokenIsNeverInAStringAndMustBePrintableAscii() {
    assertFalse(new BearerToken("s3cret-token").toString().contains("s3cret"));
    assertThrows(IllegalArgumentException.class, () -> new BearerToken(""));
    assertThrows(IllegalArgumentException.class, () -> new BearerToken("two words"));
    assertThrows(IllegalArgumentException.class, () -> SluiceClient.builder().token("line\nbreak"));
  }
}
