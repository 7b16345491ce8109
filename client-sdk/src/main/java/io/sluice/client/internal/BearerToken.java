package io.sluice.client.internal;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Call credentials that send {@code authorization: Bearer <token>} with every call, and the
 * channel wrapper that applies them. The token is never logged: {@link #toString()} hides it.
 * Note that over a plaintext connection the token crosses the network in clear; use TLS.
 * Immutable; thread-safe.
 */
public final class BearerToken extends CallCredentials {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final String token;

  public BearerToken(String token) {
    Objects.requireNonNull(token, "token");
    String t = token.strip();
    if (t.isEmpty() || t.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      throw new IllegalArgumentException("a token must be non-empty printable ASCII without spaces");
    }
    this.token = t;
  }

  @Override
  public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    try {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      applier.apply(headers);
    } catch (RuntimeException e) {
      applier.fail(Status.UNAUTHENTICATED.withDescription("cannot attach the token").withCause(e));
    }
  }

  @Override
  public String toString() {
    return "BearerToken(hidden)";
  }

  /** {@code channel}, with these credentials on every call. Closing the result closes {@code channel}. */
  public ManagedChannel applyTo(ManagedChannel channel) {
    ClientInterceptor withCredentials = new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withCallCredentials(BearerToken.this));
      }
    };
    Channel intercepted = io.grpc.ClientInterceptors.intercept(channel, withCredentials);
    return new ManagedChannel() {
      @Override
      public ManagedChannel shutdown() {
        channel.shutdown();
        return this;
      }

      @Override
      public boolean isShutdown() {
        return channel.isShutdown();
      }

      @Override
      public boolean isTerminated() {
        return channel.isTerminated();
      }

      @Override
      public ManagedChannel shutdownNow() {
        channel.shutdownNow();
        return this;
      }

      @Override
      public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return channel.awaitTermination(timeout, unit);
      }

      @Override
      public io.grpc.ConnectivityState getState(boolean requestConnection) {
        return channel.getState(requestConnection);
      }

      @Override
      public void notifyWhenStateChanged(io.grpc.ConnectivityState source, Runnable callback) {
        channel.notifyWhenStateChanged(source, callback);
      }

      @Override
      public void resetConnectBackoff() {
        channel.resetConnectBackoff();
      }

      @Override
      public void enterIdle() {
        channel.enterIdle();
      }

      @Override
      public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return intercepted.newCall(method, options);
      }

      @Override
      public String authority() {
        return channel.authority();
      }
    };
  }
}
