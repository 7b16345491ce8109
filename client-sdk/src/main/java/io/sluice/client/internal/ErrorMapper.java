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
    return map(t, isWrite, requestSent, address, null);
  }

  /**
   * Like {@link #map(Throwable, boolean, boolean, String)}, knowing whether the channel used TLS
   * (null: unknown), to explain transport failures that come from a TLS mismatch.
   */
  public static SluiceException map(Throwable t, boolean isWrite, boolean requestSent, String address, Boolean tls) {
    Throwable cause = unwrap(t);
    if (cause instanceof SluiceException e) {
      return e;
    }
    SluiceException tlsFailure = tlsFailure(cause, isWrite, requestSent, address, tls);
    if (tlsFailure != null) {
      return tlsFailure;
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

  /**
   * A failed TLS handshake, or a plaintext client answered by a TLS server: not retriable (the
   * certificates or the settings must change first), and never written (no request got through).
   * Null when {@code cause} is something else.
   */
  private static SluiceException tlsFailure(Throwable cause, boolean isWrite, boolean requestSent, String address,
      Boolean tls) {
    Status status = Status.fromThrowable(cause);
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return null;
    }
    WriteOutcome outcome = isWrite ? WriteOutcome.NOT_WRITTEN : WriteOutcome.NOT_A_WRITE;
    for (Throwable c = cause; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof javax.net.ssl.SSLException) {
        // The first SSLException is often generic ("General OpenSslEngine problem"): the causes
        // below it say what happened (PKIX path, validity, alert).
        StringBuilder all = new StringBuilder();
        String deepest = null;
        for (Throwable d = c; d != null; d = d.getCause() == d ? null : d.getCause()) {
          if (d.getMessage() != null) {
            all.append(d.getMessage()).append(' ');
            deepest = d.getMessage();
          }
        }
        String detail = deepest == null ? c.getClass().getSimpleName() : deepest;
        String text = all.toString();
        String hint;
        if (c.getClass().getSimpleName().equals("NotSslRecordException") || text.contains("not an SSL/TLS record")) {
          hint = "the server does not speak TLS (it answered in plaintext); connect without TLS or check the address";
        } else if (text.contains("expired") || text.contains("NotAfter") || text.contains("validity check failed")) {
          hint = "the server's certificate has expired or is not valid yet";
        } else if (text.contains("PKIX") || text.contains("unable to find valid certification path")
            || text.contains("signature check failed")) {
          hint = "the server's certificate is not signed by a CA this client trusts (check the client's TLS CA file)";
        } else if (text.contains("No subject alternative") || text.contains("No name matching")) {
          hint = "the server's certificate does not name " + address + " among its subjectAltNames";
        } else if (text.contains("CERTIFICATE_REQUIRED") || text.contains("certificate_required")
            || text.contains("BAD_CERTIFICATE") || text.contains("bad_certificate")
            || text.contains("CERTIFICATE_UNKNOWN") || text.contains("certificate_unknown")
            || text.contains("UNKNOWN_CA") || text.contains("unknown_ca")
            || text.contains("CERTIFICATE_EXPIRED") || text.contains("certificate_expired")) {
          hint = "the server refused this client's certificate, or requires one (mutual TLS: give a valid client"
              + " certificate and key signed by a CA the server trusts)";
        } else {
          hint = "check the certificates and TLS settings of both sides";
        }
        return new SluiceException("TLS handshake with " + address + " failed: " + hint + " (" + detail + ")",
            Status.Code.UNAVAILABLE, null, outcome, false, cause);
      }
    }
    if (Boolean.FALSE.equals(tls) && !requestSent && status.getDescription() != null
        && (status.getDescription().contains("Network closed for unknown reason")
            || status.getDescription().contains("Connection closed"))) {
      return new SluiceException("the connection to " + address + " closed during setup: the server speaks TLS?"
          + " This client uses plaintext; give it the cluster's CA (--tls-ca, SluiceClient.Builder"
          + ".tlsTrustCertificates) (" + status.getDescription() + ")", Status.Code.UNAVAILABLE, null, outcome, true,
          cause);
    }
    return null;
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
      case "DISK_FULL", "TOO_MANY_REQUESTS", "TOO_MANY_TOPICS", "TOO_MANY_PARTITIONS" ->
          new ResourceExhaustedException(message, reason, outcome, cause);
      case "QUOTA_EXCEEDED" -> new ResourceExhaustedException(message, reason, outcome, retryDelay(cause), cause);
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
      case "TOO_MANY_AUTH_ENTRIES", "TOO_MANY_QUOTAS" -> new ResourceExhaustedException(message, reason, outcome, cause);
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

  /** The delay of a google.rpc.RetryInfo among the status details, or null. */
  static java.time.Duration retryDelay(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return null;
    }
    for (Any any : status.getDetailsList()) {
      if (any.is(com.google.rpc.RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = any.unpack(com.google.rpc.RetryInfo.class).getRetryDelay();
          if (d.getSeconds() >= 0 && d.getNanos() >= 0) {
            return java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
          }
        } catch (InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
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
