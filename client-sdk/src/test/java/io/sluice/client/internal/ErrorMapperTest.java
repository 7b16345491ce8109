package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
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
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The error contract of sluice.proto, row by row: status + ErrorInfo -> typed exception. */
class ErrorMapperTest {
  private static final WriteOutcome NW = WriteOutcome.NOT_WRITTEN;
  private static final WriteOutcome UNK = WriteOutcome.UNKNOWN;
  private static final WriteOutcome READ = WriteOutcome.NOT_A_WRITE;

  /** Row: code, reason (null = no ErrorInfo), stated write_outcome, isWrite, sent, expected type, outcome, retriable. */
  static Stream<Arguments> table() {
    return Stream.of(
        row(Status.Code.FAILED_PRECONDITION, "NOT_LEADER", "NOT_WRITTEN", true, true, NotLeaderException.class, NW, true),
        row(Status.Code.FAILED_PRECONDITION, "ILLEGAL_GENERATION", "NOT_WRITTEN", true, true,
            io.sluice.client.CommitFailedException.class, NW, false),
        row(Status.Code.FAILED_PRECONDITION, "UNKNOWN_MEMBER_ID", "NOT_WRITTEN", true, true,
            io.sluice.client.CommitFailedException.class, NW, false),
        row(Status.Code.FAILED_PRECONDITION, "REBALANCE_IN_PROGRESS", "NOT_WRITTEN", true, true,
            io.sluice.client.CommitFailedException.class, NW, false),
        row(Status.Code.NOT_FOUND, "UNKNOWN_GROUP", null, false, true, io.sluice.client.GroupException.class, READ, false),
        row(Status.Code.FAILED_PRECONDITION, "GROUP_NOT_EMPTY", "NOT_WRITTEN", true, true,
            io.sluice.client.GroupException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "INVALID_GROUP_ID", "NOT_WRITTEN", true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_GROUPS", "NOT_WRITTEN", true, true,
            ResourceExhaustedException.class, NW, false),
        row(Status.Code.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED", "NOT_WRITTEN", true, true,
            ResourceExhaustedException.class, NW, true),
        row(Status.Code.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED", null, false, true,
            ResourceExhaustedException.class, READ, true),
        row(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_TOPICS", "NOT_WRITTEN", true, true,
            ResourceExhaustedException.class, NW, false),
        row(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_PARTITIONS", "NOT_WRITTEN", true, true,
            ResourceExhaustedException.class, NW, false),
        row(Status.Code.UNAVAILABLE, "NO_LEADER", "NOT_WRITTEN", true, true, UnavailableException.class, NW, true),
        row(Status.Code.UNAVAILABLE, "NODE_NOT_READY", "NOT_WRITTEN", true, true, UnavailableException.class, NW, true),
        row(Status.Code.UNAVAILABLE, "NODE_NOT_READY", null, false, true, UnavailableException.class, READ, true),
        row(Status.Code.UNAVAILABLE, "COMMIT_TIMEOUT", "UNKNOWN", true, true, IndeterminateException.class, UNK, false),
        row(Status.Code.UNAVAILABLE, "COMMIT_TIMEOUT", null, true, true, IndeterminateException.class, UNK, false),
        row(Status.Code.NOT_FOUND, "UNKNOWN_TOPIC", null, false, true, UnknownTopicException.class, READ, false),
        row(Status.Code.NOT_FOUND, "UNKNOWN_TOPIC", "NOT_WRITTEN", true, true, UnknownTopicException.class, NW, false),
        row(Status.Code.ALREADY_EXISTS, "TOPIC_EXISTS", "NOT_WRITTEN", true, true, TopicExistsException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "INVALID_TOPIC_NAME", "NOT_WRITTEN", true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "INVALID_PARTITION_COUNT", "NOT_WRITTEN", true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "UNKNOWN_PARTITION", "NOT_WRITTEN", true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "INVALID_OFFSET", null, false, true, InvalidRequestException.class, READ, false),
        row(Status.Code.INVALID_ARGUMENT, "CORRUPT_BATCH", "NOT_WRITTEN", true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "RECORD_TOO_LARGE", "NOT_WRITTEN", true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.INVALID_ARGUMENT, "INVALID_REQUEST", null, true, true, InvalidRequestException.class, NW, false),
        row(Status.Code.RESOURCE_EXHAUSTED, "DISK_FULL", "NOT_WRITTEN", true, true, ResourceExhaustedException.class, NW, false),
        row(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_REQUESTS", "NOT_WRITTEN", true, true, ResourceExhaustedException.class, NW, true),
        row(Status.Code.NOT_FOUND, "UNKNOWN_NODE", "NOT_WRITTEN", true, true, MembershipException.class, NW, false),
        row(Status.Code.ALREADY_EXISTS, "NODE_EXISTS", "NOT_WRITTEN", true, true, MembershipException.class, NW, false),
        row(Status.Code.FAILED_PRECONDITION, "QUORUM_AT_RISK", "NOT_WRITTEN", true, true, MembershipException.class, NW, false),
        row(Status.Code.FAILED_PRECONDITION, "NODE_NOT_CAUGHT_UP", "NOT_WRITTEN", true, true, MembershipException.class, NW, false),
        row(Status.Code.FAILED_PRECONDITION, "LEADER_TRANSFER_FAILED", "NOT_WRITTEN", true, true, MembershipException.class, NW, false),
        row(Status.Code.ABORTED, "RECONFIGURATION_IN_PROGRESS", "NOT_WRITTEN", true, true, MembershipException.class, NW, true),
        row(Status.Code.OUT_OF_RANGE, "OFFSET_OUT_OF_RANGE", null, false, true, OffsetOutOfRangeException.class, READ, false),
        // No ErrorInfo: transport failures. A sent write may have happened; an unsent one did not.
        row(Status.Code.UNAVAILABLE, null, null, true, true, IndeterminateException.class, UNK, false),
        row(Status.Code.UNAVAILABLE, null, null, true, false, UnavailableException.class, NW, true),
        row(Status.Code.UNAVAILABLE, null, null, false, true, UnavailableException.class, READ, true),
        row(Status.Code.DEADLINE_EXCEEDED, null, null, true, true, IndeterminateException.class, UNK, false),
        row(Status.Code.DEADLINE_EXCEEDED, null, null, true, false, TimeoutException.class, NW, true),
        row(Status.Code.DEADLINE_EXCEEDED, null, null, false, true, TimeoutException.class, READ, true),
        row(Status.Code.UNAUTHENTICATED, "AUTHENTICATION_FAILED", "NOT_WRITTEN", true, true,
            io.sluice.client.AuthenticationException.class, NW, false),
        row(Status.Code.PERMISSION_DENIED, "AUTHORIZATION_FAILED", "NOT_WRITTEN", true, true,
            io.sluice.client.AuthorizationException.class, NW, false),
        row(Status.Code.PERMISSION_DENIED, "AUTHORIZATION_FAILED", "NOT_WRITTEN", false, true,
            io.sluice.client.AuthorizationException.class, READ, false),
        // Without ErrorInfo (another gRPC layer answered): typed by the code.
        row(Status.Code.UNAUTHENTICATED, null, null, false, true, io.sluice.client.AuthenticationException.class, READ, false),
        row(Status.Code.PERMISSION_DENIED, null, null, true, true, io.sluice.client.AuthorizationException.class, NW, false),
        row(Status.Code.CANCELLED, null, null, true, true, IndeterminateException.class, UNK, false),
        row(Status.Code.INTERNAL, null, null, true, true, IndeterminateException.class, UNK, false),
        row(Status.Code.INTERNAL, null, null, false, true, SluiceException.class, READ, false),
        // The server's stated outcome wins over the status code.
        row(Status.Code.RESOURCE_EXHAUSTED, "TOO_MANY_REQUESTS", "UNKNOWN", true, true, IndeterminateException.class, UNK, false));
  }

  private static Arguments row(Status.Code code, String reason, String outcome, boolean isWrite, boolean sent,
      Class<? extends SluiceException> type, WriteOutcome expectedOutcome, boolean retriable) {
    return Arguments.of(code, reason, outcome, isWrite, sent, type, expectedOutcome, retriable);
  }

  @ParameterizedTest(name = "{0} {1} stated={2} write={3} sent={4} -> {5}")
  @MethodSource("table")
  void mapsPerTheContract(Status.Code code, String reason, String statedOutcome, boolean isWrite, boolean sent,
      Class<? extends SluiceException> type, WriteOutcome outcome, boolean retriable) {
    SluiceException e = ErrorMapper.map(error(code, reason, statedOutcome, Map.of()), isWrite, sent, "n1:7070");

    assertEquals(type, e.getClass());
    assertEquals(outcome, e.writeOutcome());
    assertEquals(retriable, e.retriable());
    assertEquals(code, e.code());
    assertEquals(reason, e.reason());
  }

  @Test
  void notLeaderCarriesTheLeaderHint() {
    StatusRuntimeException sre = error(Status.Code.FAILED_PRECONDITION, "NOT_LEADER", "NOT_WRITTEN",
        Map.of(SluiceErrors.LEADER_ID, "n2", SluiceErrors.LEADER_ADDRESS, "10.0.0.2:7070"));
    NotLeaderException e = assertInstanceOf(NotLeaderException.class,
        ErrorMapper.map(new CompletionException(sre), true, true, "n1:7070"));
    assertEquals("n2", e.leaderId());
    assertEquals("10.0.0.2:7070", e.leaderAddress());
  }

  @Test
  void notLeaderWithoutHintHasNullAddress() {
    NotLeaderException e = assertInstanceOf(NotLeaderException.class,
        ErrorMapper.map(error(Status.Code.FAILED_PRECONDITION, "NOT_LEADER", null, Map.of(SluiceErrors.LEADER_ADDRESS, "")),
            true, true, "n1:7070"));
    assertNull(e.leaderAddress());
    assertEquals(WriteOutcome.NOT_WRITTEN, e.writeOutcome());
  }

  @Test
  void passesSluiceExceptionsThrough() {
    SluiceException e = new UnavailableException("x", null, WriteOutcome.NOT_A_WRITE, null);
    assertSame(e, ErrorMapper.map(new CompletionException(e), true, true, "n1:7070"));
  }

  private static StatusRuntimeException error(Status.Code code, String reason, String outcome, Map<String, String> extra) {
    if (reason == null) {
      return code.toStatus().withDescription("transport").asRuntimeException();
    }
    Map<String, String> meta = new HashMap<>(extra);
    if (outcome != null) {
      meta.put(SluiceErrors.WRITE_OUTCOME, outcome);
    }
    ErrorInfo info = ErrorInfo.newBuilder().setReason(reason).setDomain(SluiceErrors.DOMAIN).putAllMetadata(meta).build();
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(code.value())
        .setMessage(reason).addDetails(Any.pack(info)).build());
  }
}
