package io.sluice.chaos.workload;

import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.client.SluiceException;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.SluiceErrors;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns a failed write into the history's {@code fail} (certainly not written) or {@code info}
 * (unknown). Anything not known to be NOT_WRITTEN is recorded as unknown: claiming "not written"
 * wrongly would make the checker report a correct system. Stateless.
 */
final class Outcomes {

  private Outcomes() {}

  static void failedWrite(HistoryWriter.Op op, Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof SluiceException e) {
      String text = e.getClass().getSimpleName() + " " + e.reason() + ": " + e.getMessage();
      if (e.writeOutcome() == WriteOutcome.NOT_WRITTEN) {
        op.fail(text);
      } else {
        op.info(text);
      }
    } else if (cause instanceof StatusRuntimeException e) {
      RawError raw = RawError.of(e);
      if (SluiceErrors.NOT_WRITTEN.equals(raw.writeOutcome())) {
        op.fail(raw.toString());
      } else {
        op.info(raw.toString());
      }
    } else {
      op.info(String.valueOf(cause));
    }
  }

  static Throwable unwrap(Throwable error) {
    Throwable t = error;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** A gRPC error with Sluice's ErrorInfo (reason, write outcome, leader hint), when present. */
  record RawError(String code, String reason, String writeOutcome, String leaderAddress, String message) {

    static RawError of(StatusRuntimeException e) {
      String reason = null;
      String outcome = null;
      String leader = null;
      com.google.rpc.Status status = StatusProto.fromThrowable(e);
      if (status != null) {
        for (com.google.protobuf.Any detail : status.getDetailsList()) {
          if (detail.is(ErrorInfo.class)) {
            try {
              ErrorInfo info = detail.unpack(ErrorInfo.class);
              reason = info.getReason();
              outcome = info.getMetadataOrDefault(SluiceErrors.WRITE_OUTCOME, null);
              leader = info.getMetadataOrDefault(SluiceErrors.LEADER_ADDRESS, null);
            } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
              // A malformed detail tells us nothing: the outcome stays unknown.
            }
          }
        }
      }
      return new RawError(e.getStatus().getCode().name(), reason, outcome, leader, e.getStatus().getDescription());
    }

    @Override
    public String toString() {
      return code + (reason == null ? "" : " " + reason) + (writeOutcome == null ? "" : " " + writeOutcome)
          + (message == null ? "" : ": " + message);
    }
  }
}
