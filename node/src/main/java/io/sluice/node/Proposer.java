package io.sluice.node;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandResult;
import io.sluice.statemachine.CommandRejectedException;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ResourceUnavailableException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Proposes commands to the local Ratis server in-process (no network hop) and turns the outcome
 * into a {@link CommandResult} or a gRPC error that says what is known:
 * rejected before the log (NOT_WRITTEN) or possibly committed (UNKNOWN).
 *
 * <p>Thread-safe. The number of writes waiting for commit is bounded ({@code pending.writes.max}).
 */
final class Proposer {
  /** A successful proposal: the result of applying it and the Raft index it committed at. */
  record Outcome(CommandResult result, long raftIndex) {}

  private final SluiceNode node;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final long commitTimeoutMs;
  private final int pendingMax;
  private final Semaphore pending;

  Proposer(SluiceNode node, long commitTimeoutMs, int pendingMax) {
    this.node = node;
    this.commitTimeoutMs = commitTimeoutMs;
    this.pendingMax = pendingMax;
    this.pending = new Semaphore(pendingMax);
  }

  /** Writes waiting for commit now (for metrics). */
  int pendingWrites() {
    return pendingMax - pending.availablePermits();
  }

  /**
   * Proposes {@code command} if this node is the leader. The future fails with a
   * {@link StatusRuntimeException} built by {@link Errors}.
   */
  CompletableFuture<Outcome> propose(Command command) {
    StatusRuntimeException refusal = node.writeRefusal();
    if (refusal != null) {
      return CompletableFuture.failedFuture(refusal);
    }
    if (!pending.tryAcquire()) {
      return CompletableFuture.failedFuture(Errors.notWritten(ErrorReason.TOO_MANY_REQUESTS,
          "too many writes waiting for commit on " + node.id() + "; retry later"));
    }
    RaftServer server = node.raftServer();
    RaftClientRequest request = request(server, command.toByteArray(), RaftClientRequest.writeRequestType());
    CompletableFuture<RaftClientReply> submitted;
    try {
      submitted = server.submitClientRequestAsync(request);
    } catch (IOException e) {
      pending.release();
      return CompletableFuture.failedFuture(Errors.notWritten(ErrorReason.NODE_NOT_READY,
          "node " + node.id() + " cannot take writes: " + e.getMessage()));
    }
    return submitted
        .orTimeout(commitTimeoutMs, TimeUnit.MILLISECONDS)
        .handle((reply, error) -> {
          pending.release();
          if (error != null) {
            throw new CompletionException(translate(unwrap(error)));
          }
          return toOutcome(reply);
        });
  }

  /**
   * Runs a read-only query through Ratis with ReadIndex: the answer reflects every entry committed
   * before the call, whichever node this is. Fails with UNAVAILABLE when no leader confirms.
   */
  CompletableFuture<java.nio.ByteBuffer> queryLinearizable(byte[] query) {
    RaftServer server = node.raftServer();
    RaftClientRequest request = request(server, query, RaftClientRequest.readRequestType());
    try {
      return server.submitClientRequestAsync(request)
          .orTimeout(commitTimeoutMs, TimeUnit.MILLISECONDS)
          .handle((reply, error) -> {
            if (error == null && reply.isSuccess()) {
              return reply.getMessage().getContent().asReadOnlyByteBuffer();
            }
            Throwable cause = error != null ? unwrap(error) : reply.getException();
            if (cause instanceof StateMachineException && cause.getCause() instanceof IllegalArgumentException bad) {
              throw new CompletionException(Errors.notWritten(ErrorReason.UNKNOWN_TOPIC, bad.getMessage()));
            }
            throw new CompletionException(Errors.notWritten(ErrorReason.NO_LEADER,
                "linearizable read on " + node.id() + " failed (no leader confirmed the read index): " + cause));
          });
    } catch (IOException e) {
      return CompletableFuture.failedFuture(Errors.notWritten(ErrorReason.NODE_NOT_READY,
          "node " + node.id() + " cannot serve reads: " + e.getMessage()));
    }
  }

  /** An in-process request to the local server, as this node's own Ratis client. */
  private RaftClientRequest request(RaftServer server, byte[] payload, RaftClientRequest.Type type) {
    return RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(server.getId())
        .setGroupId(node.groupId())
        .setCallId(callIds.incrementAndGet())
        .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(payload)))
        .setType(type)
        .build();
  }

  /**
   * Waits until no write this node proposed is waiting for commit (for a graceful stop).
   *
   * @return false if some were still waiting after {@code timeoutMs}
   */
  boolean awaitIdle(long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    // The node's count includes produce requests waiting for group commit, not yet proposed.
    while (node.pendingWrites() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private Outcome toOutcome(RaftClientReply reply) {
    if (reply.isSuccess()) {
      try {
        CommandResult result = CommandResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        return new Outcome(result, reply.getLogIndex());
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("state machine replied with an unreadable result", e);
      }
    }
    throw new CompletionException(translate(reply.getException()));
  }

  private StatusRuntimeException translate(Throwable e) {
    if (e instanceof StateMachineException && e.getCause() instanceof CommandRejectedException r) {
      return Errors.notWritten(r.reason(), r.getMessage());
    }
    if (e instanceof NotLeaderException) {
      // We checked leadership before submitting; losing it now may happen with the entry already
      // in the log, so the outcome is not known.
      return Errors.indeterminate(ErrorReason.COMMIT_TIMEOUT,
          "leadership changed while the write was in flight on " + node.id() + "; it may or may not be committed");
    }
    if (e instanceof LeaderSteppingDownException) {
      // Refused before the log: the leader is handing leadership over (transfer-leader, or a stop).
      return Errors.notWritten(ErrorReason.NO_LEADER, "leader " + node.id() + " is handing leadership over; retry");
    }
    if (e instanceof LeaderNotReadyException) {
      return Errors.notWritten(ErrorReason.NO_LEADER, "leader " + node.id() + " is not ready yet; retry");
    }
    if (e instanceof ResourceUnavailableException) {
      return Errors.notWritten(ErrorReason.TOO_MANY_REQUESTS, "Raft write queue on " + node.id()
          + " is full: " + e.getMessage());
    }
    if (e instanceof TimeoutException) {
      return Errors.indeterminate(ErrorReason.COMMIT_TIMEOUT, "not committed within " + commitTimeoutMs
          + " ms (is a majority of the cluster down?); the write may or may not be committed");
    }
    return Errors.indeterminate(ErrorReason.COMMIT_TIMEOUT, "write failed on " + node.id() + ": " + e
        + "; it may or may not be committed");
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
