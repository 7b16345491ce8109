package io.sluice.node;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.sluice.api.v1.ErrorReason;
import io.sluice.protocol.SluiceErrors;
import java.util.Map;

/**
 * Builds gRPC errors in the shape every client relies on: a status code per Google's API
 * conventions, a message a person can act on, and a google.rpc.ErrorInfo with the reason and
 * what is known about the write ({@code write_outcome}).
 */
final class Errors {
  private Errors() {}

  static Status.Code codeOf(ErrorReason reason) {
    return switch (reason) {
      case NOT_LEADER, OUT_OF_ORDER_SEQUENCE, PRODUCER_FENCED, UNKNOWN_PRODUCER_ID, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID ->
          Status.Code.FAILED_PRECONDITION;
      case NO_LEADER, COMMIT_TIMEOUT, NODE_NOT_READY, NOT_CAUGHT_UP -> Status.Code.UNAVAILABLE;
      case UNKNOWN_TOPIC -> Status.Code.NOT_FOUND;
      case TOPIC_EXISTS -> Status.Code.ALREADY_EXISTS;
      case DISK_FULL, TOO_MANY_REQUESTS -> Status.Code.RESOURCE_EXHAUSTED;
      case OFFSET_OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
      case UNKNOWN_NODE -> Status.Code.NOT_FOUND;
      case NODE_EXISTS -> Status.Code.ALREADY_EXISTS;
      case QUORUM_AT_RISK, NODE_NOT_CAUGHT_UP, LEADER_TRANSFER_FAILED -> Status.Code.FAILED_PRECONDITION;
      case RECONFIGURATION_IN_PROGRESS -> Status.Code.ABORTED;
      case REBALANCE_IN_PROGRESS, GROUP_NOT_EMPTY, INCONSISTENT_GROUP_PROTOCOL ->
          Status.Code.FAILED_PRECONDITION;
      case UNKNOWN_GROUP, UNKNOWN_TOKEN -> Status.Code.NOT_FOUND;
      case AUTHENTICATION_FAILED -> Status.Code.UNAUTHENTICATED;
      case AUTHORIZATION_FAILED -> Status.Code.PERMISSION_DENIED;
      case GROUP_MAX_SIZE_REACHED, TOO_MANY_GROUPS, QUOTA_EXCEEDED, TOO_MANY_TOPICS, TOO_MANY_PARTITIONS,
          TOO_MANY_AUTH_ENTRIES, TOO_MANY_QUOTAS -> Status.Code.RESOURCE_EXHAUSTED;
      case INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID -> Status.Code.INVALID_ARGUMENT;
      case INVALID_CONFIG, INVALID_TOPIC_NAME, INVALID_PARTITION_COUNT, UNKNOWN_PARTITION, INVALID_OFFSET, CORRUPT_BATCH,
          RECORD_TOO_LARGE, INVALID_REQUEST, ERROR_REASON_UNSPECIFIED, UNRECOGNIZED -> Status.Code.INVALID_ARGUMENT;
    };
  }

  /** An error for a request that changed nothing (rejected, or a read). */
  static StatusRuntimeException notWritten(ErrorReason reason, String message) {
    return of(reason, message, Map.of(SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN));
  }

  /** An error for a write that may or may not have been committed. */
  static StatusRuntimeException indeterminate(ErrorReason reason, String message) {
    return of(reason, message, Map.of(SluiceErrors.WRITE_OUTCOME, SluiceErrors.UNKNOWN));
  }

  static StatusRuntimeException of(ErrorReason reason, String message, Map<String, String> metadata) {
    ErrorInfo info = ErrorInfo.newBuilder()
        .setReason(reason.name())
        .setDomain(SluiceErrors.DOMAIN)
        .putAllMetadata(metadata)
        .build();
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(codeOf(reason).value())
        .setMessage(message)
        .addDetails(Any.pack(info))
        .build();
    return StatusProto.toStatusRuntimeException(status);
  }
}
