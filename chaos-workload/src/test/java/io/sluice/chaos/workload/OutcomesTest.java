package io.sluice.chaos.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.IndeterminateException;
import io.sluice.client.SluiceException;
import io.sluice.client.UnavailableException;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.SluiceErrors;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * A failed write is recorded as {@code fail} only when it is known NOT_WRITTEN; everything else is
 * {@code info}. Recording an unknown outcome as a failure would make the checker report aborted
 * reads on a correct cluster.
 */
class OutcomesTest {

  private static OpType recorded(Throwable error) {
    HistoryWriter history = HistoryWriter.inMemory();
    Outcomes.failedWrite(history.invoke("p0", OpValue.Send.of("t", 0, null, "v")), error);
    List<Event> events = history.events();
    return events.get(events.size() - 1).type();
  }

  private static StatusRuntimeException grpcError(Status.Code code, String outcome) {
    com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage("m");
    if (outcome != null) {
      status.addDetails(Any.pack(ErrorInfo.newBuilder().setReason("NOT_LEADER").setDomain(SluiceErrors.DOMAIN)
          .putMetadata(SluiceErrors.WRITE_OUTCOME, outcome).build()));
    }
    return StatusProto.toStatusRuntimeException(status.build());
  }

  @Test
  void sdkExceptionsFollowTheirWriteOutcome() {
    assertEquals(OpType.FAIL, recorded(new UnavailableException("no leader", "NO_LEADER", WriteOutcome.NOT_WRITTEN, null)));
    assertEquals(OpType.INFO, recorded(new IndeterminateException("timeout", Status.Code.DEADLINE_EXCEEDED, null, null)));
    assertEquals(OpType.INFO, recorded(new CompletionException(
        new IndeterminateException("timeout", null, "COMMIT_TIMEOUT", null))));
    assertEquals(OpType.INFO, recorded(new SluiceException("odd", null, null, WriteOutcome.NOT_A_WRITE, false, null)));
  }

  @Test
  void rawGrpcErrorsAreFailuresOnlyWithANotWrittenErrorInfo() {
    assertEquals(OpType.FAIL, recorded(grpcError(Status.Code.FAILED_PRECONDITION, SluiceErrors.NOT_WRITTEN)));
    assertEquals(OpType.INFO, recorded(grpcError(Status.Code.UNAVAILABLE, SluiceErrors.UNKNOWN)));
    // Connection refused or reset, deadline exceeded: no ErrorInfo, so nothing is known.
    assertEquals(OpType.INFO, recorded(grpcError(Status.Code.UNAVAILABLE, null)));
    assertEquals(OpType.INFO, recorded(Status.DEADLINE_EXCEEDED.asRuntimeException()));
  }

  @Test
  void anythingElseIsIndeterminateWithItsDescription() {
    HistoryWriter history = HistoryWriter.inMemory();
    Outcomes.failedWrite(history.invoke("p0", OpValue.Send.of("t", 0, null, "v")), new IllegalStateException("boom"));
    Event completion = history.events().get(1);
    assertEquals(OpType.INFO, completion.type());
    assertTrue(completion.error().contains("boom"), completion.error());
  }
}
