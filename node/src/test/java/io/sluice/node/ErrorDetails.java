package io.sluice.node;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.protobuf.StatusProto;
import io.sluice.protocol.SluiceErrors;
import java.util.Optional;

/** What a raw gRPC client reads from an error's google.rpc.ErrorInfo: the reason and the write outcome. */
final class ErrorDetails {
  private ErrorDetails() {}

  static Optional<ErrorInfo> info(Throwable t) {
    com.google.rpc.Status status = StatusProto.fromThrowable(t);
    if (status == null) {
      return Optional.empty();
    }
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return Optional.of(detail.unpack(ErrorInfo.class));
        } catch (InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The write_outcome (NOT_WRITTEN, UNKNOWN), or null. */
  static String writeOutcome(Throwable t) {
    return info(t).map(i -> i.getMetadataMap().get(SluiceErrors.WRITE_OUTCOME)).orElse(null);
  }

  /** The ErrorReason name, or null. */
  static String reason(Throwable t) {
    return info(t).map(ErrorInfo::getReason).orElse(null);
  }

  /**
   * Whether a client should send the request again to whoever leads now: refused as certainly not
   * written because this node does not lead (NOT_LEADER, NO_LEADER during an election).
   */
  static boolean leadershipMoved(Throwable t) {
    String reason = reason(t);
    return SluiceErrors.NOT_WRITTEN.equals(writeOutcome(t))
        && ("NOT_LEADER".equals(reason) || "NO_LEADER".equals(reason));
  }
}
