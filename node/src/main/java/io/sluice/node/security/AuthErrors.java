package io.sluice.node.security;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.sluice.api.v1.ErrorReason;
import io.sluice.protocol.SluiceErrors;
import java.util.Map;

/**
 * The two security failures, in the shape of every Sluice error (status code, message, a
 * google.rpc.ErrorInfo with the reason; never written). Static methods only; thread-safe.
 */
public final class AuthErrors {
  /** ErrorInfo metadata keys on AUTHORIZATION_FAILED: who was refused what on which resource. */
  public static final String PRINCIPAL = "principal";
  public static final String OPERATION = "operation";
  public static final String RESOURCE = "resource";

  private AuthErrors() {}

  /** UNAUTHENTICATED / AUTHENTICATION_FAILED. */
  public static StatusRuntimeException unauthenticated(String message) {
    return of(Status.Code.UNAUTHENTICATED, ErrorReason.AUTHENTICATION_FAILED, message, Map.of());
  }

  /** PERMISSION_DENIED / AUTHORIZATION_FAILED, naming the principal, operation and resource. */
  public static StatusRuntimeException denied(String message, Map<String, String> metadata) {
    return of(Status.Code.PERMISSION_DENIED, ErrorReason.AUTHORIZATION_FAILED, message, metadata);
  }

  private static StatusRuntimeException of(Status.Code code, ErrorReason reason, String message,
      Map<String, String> metadata) {
    ErrorInfo info = ErrorInfo.newBuilder()
        .setReason(reason.name())
        .setDomain(SluiceErrors.DOMAIN)
        .putMetadata(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN)
        .putAllMetadata(metadata)
        .build();
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(message)
        .addDetails(Any.pack(info))
        .build());
  }
}
