package io.sluice.client.internal;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.sluice.client.CommitFailedException;
import io.sluice.client.IndeterminateException;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.MembershipException;
import io.sluice.client.NotLeaderException;
import io.sluice.client.OffsetOutOfRangeException;
import io.sluice.client.ResourceExhaustedException;
import io.sluice.client.SluiceException;
import io.sluice.client.TimeoutException;
import io.sluice.client.TopicExistsException;
import io.sluice.client.UnavailableException;
import io.sluice.client.UnknownTopicException;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.SluiceErrors;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns a failed RPC into the typed {@link SluiceException} that says what is known. Reads the
 * server's google.rpc.ErrorInfo (domain sluice.io) for the reason and write outcome; without one
 * (a transport failure) a write is indeterminate unless its request never reached the socket.
 * Static methods only; thread-safe.
 */
public final class ErrorMapper {
  private ErrorMapper() {}

  /**
   * @param t           the failure (a StatusRuntimeException, possibly wrapped)
   * @param isWrite     whether the RPC writes to the log (Produce, CreateTopic, DeleteTopic)
   * @param requestSent whether the request's headers reached the socket (if false, the server
   *                    cannot have seen it)
   * @param address     the node called, for the message
   */
  public static SluiceException map(Throwable t, boolean isWrite, boolean requestSent, String address) {
    Throwable cause = unwrap(t);
    if (cause instanceof SluiceException e) {
      return e;
    }
    Status status = Status.fromThrowable(cause);
    Status.Code code = status.getCode();
    ErrorInfo info = errorInfo(cause);
    String reason = info == null || info.getReason().isEmpty() ? null : info.getReason();
    Map<String, String> meta = info == null ? Map.of() : info.getMetadataMap();
    WriteOutcome outcome = outcome(isWrite, requestSent, code, reason, meta);
    String message = (status.getDescription() == null ? code.toString() : status.getDescription())
        + " (" + code + (reason == null ? "" : "/" + reason) + " from " + address + ")";
    if (outcome == WriteOutcome.UNKNOWN) {
      return new IndeterminateException("outcome unknown, the write may have been committed: " + message,
          code, reason, cause);
    }
    SluiceException byReason = reason == null ? null : byReason(reason, code, message, outcome, meta, cause);
    return byReason != null ? byReason : byCode(code, reason, message, outcome, cause);
  }

  /** Strips CompletionException / ExecutionException wrappers. */
  public static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  private static WriteOutcome outcome(boolean isWrite, boolean requestSent, Status.Code code,
      String reason, Map<String, String> meta) {
    if (!isWrite) {
      return WriteOutcome.NOT_A_WRITE;
    }
    String stated = meta.get(SluiceErrors.WRITE_OUTCOME);
    if (SluiceErrors.NOT_WRITTEN.equals(stated)) {
      return WriteOutcome.NOT_WRITTEN;
    }
    if (SluiceErrors.UNKNOWN.equals(stated)) {
      return WriteOutcome.UNKNOWN;
    }
    if (!requestSent) {
      return WriteOutcome.NOT_WRITTEN;
    }
    if (reason != null) {
      switch (reason) {
        case "NOT_LEADER", "NO_LEADER", "NODE_NOT_READY" -> {
          return WriteOutcome.NOT_WRITTEN;
        }
        case "COMMIT_TIMEOUT" -> {
          return WriteOutcome.UNKNOWN;
        }
        default -> { }
      }
    }
    return switch (code) {
      // Answers that reject the request before it reaches the log.
      case INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
          OUT_OF_RANGE, PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED -> WriteOutcome.NOT_WRITTEN;
      default -> WriteOutcome.UNKNOWN;
    };
  }

  private static SluiceException byReason(String reason, Status.Code code, String message,
      WriteOutcome outcome, Map<String, String> meta, Throwable cause) {
    return switch (reason) {
      case "NOT_LEADER" -> new NotLeaderException(message, emptyToNull(meta.get(SluiceErrors.LEADER_ID)),
          emptyToNull(meta.get(SluiceErrors.LEADER_ADDRESS)), outcome, cause);
      case "NO_LEADER", "NODE_NOT_READY" -> new UnavailableException(message, reason, outcome, cause);
      case "UNKNOWN_TOPIC" -> new UnknownTopicException(message, outcome, cause);
      case "TOPIC_EXISTS" -> new TopicExistsException(message, cause);
      case "INVALID_TOPIC_NAME", "INVALID_PARTITION_COUNT", "UNKNOWN_PARTITION", "INVALID_OFFSET",
          "CORRUPT_BATCH", "RECORD_TOO_LARGE", "INVALID_REQUEST" ->
          new InvalidRequestException(message, code, reason, outcome, cause);
      case "DISK_FULL", "TOO_MANY_REQUESTS" -> new ResourceExhaustedException(message, reason, outcome, cause);
      case "OFFSET_OUT_OF_RANGE" -> new OffsetOutOfRangeException(message, cause);
      case "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS" ->
          new CommitFailedException(message, code, reason, cause);
      case "UNKNOWN_GROUP", "GROUP_NOT_EMPTY", "INCONSISTENT_GROUP_PROTOCOL" ->
          new io.sluice.client.GroupException(message, code, reason, outcome, cause);
      case "INVALID_GROUP_ID", "INVALID_SESSION_TIMEOUT" -> new InvalidRequestException(message, code, reason, outcome, cause);
      case "GROUP_MAX_SIZE_REACHED", "TOO_MANY_GROUPS" -> new ResourceExhaustedException(message, reason, outcome, cause);
      case "AUTHENTICATION_FAILED" -> new io.sluice.client.AuthenticationException(message, reason, outcome, cause);
      case "AUTHORIZATION_FAILED" -> new io.sluice.client.AuthorizationException(message, reason, outcome, cause);
      case "UNKNOWN_TOKEN" -> new InvalidRequestException(message, code, reason, outcome, cause);
      case "TOO_MANY_AUTH_ENTRIES" -> new ResourceExhaustedException(message, reason, outcome, cause);
      case "UNKNOWN_NODE", "NODE_EXISTS", "QUORUM_AT_RISK", "RECONFIGURATION_IN_PROGRESS", "NODE_NOT_CAUGHT_UP",
          "LEADER_TRANSFER_FAILED" -> new MembershipException(message, code, reason, cause);
      default -> null;
    };
  }

  private static SluiceException byCode(Status.Code code, String reason, String message,
      WriteOutcome outcome, Throwable cause) {
    return switch (code) {
      // Without ErrorInfo (e.g. a proxy or another gRPC layer answered): still typed.
      case UNAUTHENTICATED -> new io.sluice.client.AuthenticationException(message, reason, outcome, cause);
      case PERMISSION_DENIED -> new io.sluice.client.AuthorizationException(message, reason, outcome, cause);
      case NOT_FOUND -> new UnknownTopicException(message, outcome, cause);
      case ALREADY_EXISTS -> new TopicExistsException(message, cause);
      case INVALID_ARGUMENT -> new InvalidRequestException(message, code, reason, outcome, cause);
      case RESOURCE_EXHAUSTED -> new ResourceExhaustedException(message, reason, outcome, cause);
      case OUT_OF_RANGE -> new OffsetOutOfRangeException(message, cause);
      case UNAVAILABLE -> new UnavailableException(message, reason, outcome, cause);
      case DEADLINE_EXCEEDED -> new TimeoutException(message, code, outcome, cause);
      default -> new SluiceException(message, code, reason, outcome, false, cause);
    };
  }

  /** The sluice.io ErrorInfo among the status details, or null. */
  static ErrorInfo errorInfo(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return null;
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          ErrorInfo info = detail.unpack(ErrorInfo.class);
          if (SluiceErrors.DOMAIN.equals(info.getDomain()) || info.getDomain().isEmpty()) {
            return info;
          }
        } catch (InvalidProtocolBufferException e) {
          return null; // a garbled detail: fall back to the status code alone
        }
      }
    }
    return null;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
