package io.sluice.chaos.checker;

import static io.sluice.chaos.checker.AnomalyKind.ABORTED_READ;
import static io.sluice.chaos.checker.AnomalyKind.COMMIT_REGRESSION;
import static io.sluice.chaos.checker.AnomalyKind.DUPLICATE;
import static io.sluice.chaos.checker.AnomalyKind.GROUP_REDELIVERY;
import static io.sluice.chaos.checker.AnomalyKind.INCONSISTENT_OFFSETS;
import static io.sluice.chaos.checker.AnomalyKind.LOST_WRITE;
import static io.sluice.chaos.checker.AnomalyKind.NONMONOTONIC_POLL;
import static io.sluice.chaos.checker.AnomalyKind.NONMONOTONIC_SEND;
import static io.sluice.chaos.checker.AnomalyKind.PARTIAL_ATOMIC;
import static io.sluice.chaos.checker.AnomalyKind.PHANTOM_READ;
import static io.sluice.chaos.checker.AnomalyKind.POLL_SKIP;
import static io.sluice.chaos.checker.AnomalyKind.REALTIME_ORDER;
import static io.sluice.chaos.checker.AnomalyKind.REPLICA_DIVERGENCE;
import static io.sluice.chaos.checker.AnomalyKind.UNSEEN;
import static io.sluice.chaos.checker.Histories.T;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.chaos.history.HistoryFormatException;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** One hand-built history per anomaly kind, and valid histories the checker must accept. */
class CheckerTest {

  /** The kinds with a non-zero count must be exactly {@code expected}. */
  private static void assertAnomalies(Verdict verdict, AnomalyKind... expected) {
    Set<AnomalyKind> found = EnumSet.noneOf(AnomalyKind.class);
    for (AnomalyKind kind : AnomalyKind.values()) {
      if (verdict.count(kind) > 0) {
        found.add(kind);
        assertFalse(verdict.examples(kind).isEmpty(), kind + " counted without an example");
      }
    }
    Set<AnomalyKind> wanted = expected.length == 0 ? EnumSet.noneOf(AnomalyKind.class) : EnumSet.of(expected[0], expected);
    assertEquals(wanted, found, verdict.toPrettyJson());
    assertEquals(wanted.isEmpty(), verdict.safe());
    if (!wanted.isEmpty()) {
      assertFalse(verdict.valid());
    }
  }

  private static String message(Verdict verdict, AnomalyKind kind) {
    return verdict.examples(kind).get(0).message();
  }

  // ---- one history per anomaly ----

  @Test
  void acknowledgedRecordMissingFromAFinalReadThatCoversItIsALostWrite() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1).sendOk("p0", 0, "p0-2", 2)
        .finalRead("n1", 0, "p0-0", null, "p0-2")
        .check();
    assertAnomalies(verdict, LOST_WRITE);
    assertEquals(1, verdict.count(LOST_WRITE));
    assertTrue(message(verdict, LOST_WRITE).contains("p0-1"), message(verdict, LOST_WRITE));
    assertTrue(message(verdict, LOST_WRITE).contains("[n1]"), message(verdict, LOST_WRITE));
  }

  @Test
  void aRecordAConsumerSawThatTheFinalReadLacksIsALostWriteEvenIfItsSendWasIndeterminate() {
    Verdict verdict = new Histories()
        .sendInfo("p0", 0, "p0-0").sendOk("p0", 0, "p0-1", 1)
        .poll("c0", 0, 0, "p0-0", "p0-1")
        .finalRead("n1", 0, 1, 2, "p0-1")       // log start moved to 1: offset 0 is not covered
        .finalRead("n2", 0, 0, 2, null, "p0-1") // covers 0 and lacks it
        .check();
    // The nodes agree where both reach (offset 1): no divergence, but n2 lost what c0 saw at 0.
    assertAnomalies(verdict, LOST_WRITE);
    assertTrue(message(verdict, LOST_WRITE).contains("[n2]"), message(verdict, LOST_WRITE));
  }

  @Test
  void acknowledgedButNeverReadIsUnseenWhenNoReadReachesItsOffset() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1)
        .finalRead("n1", 0, "p0-0") // end offset 1: does not reach offset 1
        .check();
    assertAnomalies(verdict, UNSEEN);
    assertTrue(message(verdict, UNSEEN).contains("p0-1"));
  }

  @Test
  void oneValueAtTwoOffsetsIsADuplicate() {
    Verdict verdict = new Histories()
        .sendInfo("p0", 0, "p0-0").sendOk("p0", 0, "p0-1", 1)
        .finalRead("n1", 0, "p0-0", "p0-1", "p0-0")
        .check();
    assertAnomalies(verdict, DUPLICATE);
    assertTrue(message(verdict, DUPLICATE).contains("p0-0"), message(verdict, DUPLICATE));
  }

  @Test
  void twoConsumersSeeingDifferentValuesAtOneOffsetIsInconsistentOffsets() {
    Verdict verdict = new Histories()
        .sendInfo("p0", 0, "p0-0").sendInfo("p1", 0, "p1-0")
        .poll("c0", 0, 0, "p0-0")
        .poll("c1", 0, 0, "p1-0")
        .sendOk("p0", 1, "p0-1", 0).finalRead("n1", 1, "p0-1") // keeps liveness out of the way
        .check();
    assertAnomalies(verdict, INCONSISTENT_OFFSETS);
    assertTrue(verdict.liveness().valid());
  }

  @Test
  void anAckContradictedByTheLogIsInconsistentOffsets() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendInfo("p1", 0, "p1-0")
        .finalRead("n1", 0, "p1-0", "p0-0")
        .check();
    // p0-0 was acknowledged at 0 but lives at 1: offset 0 has two values, p0-0 two offsets.
    assertAnomalies(verdict, INCONSISTENT_OFFSETS, DUPLICATE);
  }

  @Test
  void readingAValueWhoseSendFailedIsAnAbortedRead() {
    Verdict verdict = new Histories()
        .sendFail("p0", 0, "p0-0").sendOk("p0", 0, "p0-1", 1)
        .finalRead("n1", 0, "p0-0", "p0-1")
        .check();
    assertAnomalies(verdict, ABORTED_READ);
    assertTrue(message(verdict, ABORTED_READ).contains("p0-0"));
  }

  @Test
  void readingAValueNobodySentIsAPhantomRead() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0)
        .finalRead("n1", 0, "p0-0", "garbage")
        .check();
    assertAnomalies(verdict, PHANTOM_READ);
  }

  @Test
  void laterSendOfOneProducerAtAnEarlierOffsetIsNonmonotonicSend() {
    Histories h = new Histories();
    HistoryWriter.Op first = h.invokeSend("p0", 0, "p0-0");
    HistoryWriter.Op second = h.invokeSend("p0", 0, "p0-1"); // pipelined: both in flight
    Histories.ok(first, 1);
    Histories.ok(second, 0);
    Verdict verdict = h.finalRead("n1", 0, "p0-1", "p0-0").check();
    assertAnomalies(verdict, NONMONOTONIC_SEND);
  }

  @Test
  void sendAcknowledgedBeforeAnotherWasInvokedButAtAHigherOffsetIsARealtimeOrderViolation() {
    Histories h = new Histories();
    HistoryWriter.Op concurrent = h.invokeSend("p2", 0, "p2-0");
    h.sendOk("p0", 0, "p0-0", 1);
    h.sendOk("p1", 0, "p1-0", 0);
    Histories.ok(concurrent, 2); // overlapping both: no constraint
    Verdict verdict = h.finalRead("n1", 0, "p1-0", "p0-0", "p2-0").check();
    assertAnomalies(verdict, REALTIME_ORDER);
    assertEquals(1, verdict.count(REALTIME_ORDER));
    assertTrue(message(verdict, REALTIME_ORDER).contains("p0-0"), message(verdict, REALTIME_ORDER));
  }

  @Test
  void consumerJumpingOverExistingRecordsIsAPollSkip() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1).sendOk("p0", 0, "p0-2", 2)
        .assign("c0", null, 0, 0)
        .poll("c0", 0, 0, "p0-0")
        .poll("c0", 0, 2, "p0-2")
        .finalRead("n1", 0, "p0-0", "p0-1", "p0-2")
        .check();
    assertAnomalies(verdict, POLL_SKIP);
  }

  @Test
  void consumerStartingPastItsAssignedPositionIsAPollSkip() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1)
        .assign("c0", null, 0, 0)
        .poll("c0", 0, 1, "p0-1")
        .finalRead("n1", 0, "p0-0", "p0-1")
        .check();
    assertAnomalies(verdict, POLL_SKIP);
  }

  @Test
  void consumerReadingBackwardsWithoutANewAssignmentIsANonmonotonicPoll() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1)
        .poll("c0", 0, 0, "p0-0", "p0-1")
        .poll("c0", 0, 1, "p0-1")
        .finalRead("n1", 0, "p0-0", "p0-1")
        .check();
    assertAnomalies(verdict, NONMONOTONIC_POLL);
  }

  @Test
  void someButNotAllRecordsOfAnAtomicWriteVisibleIsPartialAtomic() {
    Histories h = new Histories();
    h.writer.invoke("p0", new OpValue.Atomic(List.of(
        OpValue.Send.of(T, 0, null, "p0-0"), OpValue.Send.of(T, 1, null, "p0-1")))).info("unavailable");
    Verdict verdict = h.sendOk("p1", 0, "p1-0", 1)
        .finalRead("n1", 0, "p0-0", "p1-0")
        .finalRead("n1", 1)
        .check();
    assertAnomalies(verdict, PARTIAL_ATOMIC);
    assertTrue(message(verdict, PARTIAL_ATOMIC).contains("1 of 2"), message(verdict, PARTIAL_ATOMIC));
  }

  @Test
  void anAcknowledgedAtomicWriteMissingAPartIsPartialAndLost() {
    Histories h = new Histories();
    HistoryWriter.Op op = h.writer.invoke("p0", new OpValue.Atomic(List.of(
        OpValue.Send.of(T, 0, null, "p0-0"), OpValue.Send.of(T, 1, null, "p0-1"))));
    op.ok(new OpValue.Atomic(List.of(new OpValue.Send(T, 0, null, "p0-0", 0L), new OpValue.Send(T, 1, null, "p0-1", 0L))));
    Verdict verdict = h.finalRead("n1", 0, "p0-0").finalRead("n1", 1, 0, 1, (String) null).check();
    assertAnomalies(verdict, PARTIAL_ATOMIC, LOST_WRITE);
  }

  @Test
  void aCommitBelowAnEarlierAcknowledgedCommitIsACommitRegression() {
    Verdict verdict = validBase()
        .commitOk("c0", "g", 0, 2)
        .commitOk("c1", "g", 0, 1)
        .check();
    assertAnomalies(verdict, COMMIT_REGRESSION);
  }

  @Test
  void aGroupConsumerResumingBelowTheCommittedOffsetIsACommitRegression() {
    Verdict verdict = validBase()
        .commitOk("c0", "g", 0, 2)
        .assign("c1", "g", 0, 1)
        .check();
    assertAnomalies(verdict, COMMIT_REGRESSION);
    assertTrue(message(verdict, COMMIT_REGRESSION).contains("resumed at 1"), message(verdict, COMMIT_REGRESSION));
  }

  @Test
  void aGroupPollReturningARecordBelowAnAcknowledgedCommitIsAGroupRedelivery() {
    Verdict verdict = validBase()
        .groupPoll("g0", "g", 0, 0, "p0-0", "p1-0")
        .commitOk("g0", "g", 0, 2)
        .groupPoll("g1", "g", 0, 1, "p1-0", "p0-1") // invoked after the commit: offset 1 was processed
        .check();
    assertAnomalies(verdict, GROUP_REDELIVERY);
    assertTrue(message(verdict, GROUP_REDELIVERY).contains("returned offset 1"), message(verdict, GROUP_REDELIVERY));
  }

  @Test
  void aGroupPollInvokedBeforeTheCommitWasAcknowledgedMayReturnRecordsBelowIt() {
    Histories h = validBase().groupPoll("g0", "g", 0, 0, "p0-0", "p1-0");
    HistoryWriter.Op poll = h.writer.invoke("g1", new OpValue.Poll("g", null));
    h.commitOk("g0", "g", 0, 2);
    poll.ok(new OpValue.Poll("g", List.of(OpValue.Read.of(T, 0, 1, "p1-0"))));
    Verdict verdict = h.check();
    assertTrue(verdict.valid(), verdict.toPrettyJson());
  }

  @Test
  void commitsThatFailedOrEndedUnknownDoNotBindLaterGroupPolls() {
    Histories h = validBase().groupPoll("g0", "g", 0, 0, "p0-0", "p1-0");
    HistoryWriter.Op failed = h.writer.invoke("g0", new OpValue.Commit("g", null, List.of(new OpValue.Position(T, 0, 2))));
    failed.fail("CommitFailedException ILLEGAL_GENERATION");
    HistoryWriter.Op unknown = h.writer.invoke("g0", new OpValue.Commit("g", null, List.of(new OpValue.Position(T, 0, 3))));
    unknown.info("DEADLINE_EXCEEDED");
    Verdict verdict = h.groupPoll("g1", "g", 0, 1, "p1-0").check();
    assertTrue(verdict.valid(), verdict.toPrettyJson());
  }

  @Test
  void aGroupHandingAPartitionOverAfterItsCommitAndAnotherGroupRereadingItAreValid() {
    Verdict verdict = validBase()
        .groupPoll("g0", "g", 0, 0, "p0-0", "p1-0")
        .commitOk("g0", "g", 0, 2)
        .assign("g1", "g", 0, 2)
        .groupPoll("g1", "g", 0, 2, "p0-1")
        .groupPoll("h0", "other", 0, 0, "p0-0", "p1-0", "p0-1") // its own group committed nothing
        .commitOk("g1", "g", 0, 3)
        .check();
    assertTrue(verdict.valid(), verdict.toPrettyJson());
  }

  @Test
  void aReplicaWhoseLogIsAShorterPrefixHadNotCaughtUpALivenessProblemNotASafetyOne() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1)
        .finalRead("n1", 0, "p0-0", "p0-1")
        .finalRead("n2", 0, "p0-0")
        .check();
    assertTrue(verdict.safe(), verdict.toPrettyJson());
    assertFalse(verdict.valid());
    assertEquals(List.of("replica n2 had not caught up on t/0 at its final read: its log ends at 1, n1's at 2"),
        verdict.liveness().problems());
  }

  @Test
  void aNodeWhoseFinalReadFailedOrNeverHappenedFailsLiveness() {
    Verdict failed = new Histories()
        .sendOk("p0", 0, "p0-0", 0)
        .finalRead("n1", 0, "p0-0")
        .finalReadFail("n2", 0, "UNAVAILABLE: io exception")
        .check();
    assertTrue(failed.safe(), failed.toPrettyJson());
    assertEquals(List.of("no successful final read of t/0 from n2 (last attempt: UNAVAILABLE: io exception)"),
        failed.liveness().problems());
    Verdict partial = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p1", 1, "p1-0", 0)
        .finalRead("n1", 0, "p0-0").finalRead("n1", 1, "p1-0")
        .finalRead("n2", 0, "p0-0") // n2 was never read for partition 1
        .check();
    assertEquals(List.of("no successful final read of t/1 from n2"), partial.liveness().problems());
    Verdict retried = new Histories()
        .sendOk("p0", 0, "p0-0", 0)
        .finalRead("n1", 0, "p0-0")
        .finalReadFail("n2", 0, "DEADLINE_EXCEEDED")
        .finalRead("n2", 0, "p0-0") // a later attempt succeeded
        .check();
    assertTrue(retried.valid(), retried.toPrettyJson());
  }

  @Test
  void nodesDisagreeingOnAnIndeterminateRecordAreDivergentAndInconsistent() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendInfo("p1", 0, "p1-0").sendInfo("p2", 0, "p2-0")
        .finalRead("n1", 0, "p0-0", "p1-0")
        .finalRead("n2", 0, "p0-0", "p2-0")
        .check();
    assertAnomalies(verdict, REPLICA_DIVERGENCE, INCONSISTENT_OFFSETS);
    assertTrue(message(verdict, REPLICA_DIVERGENCE).contains("first 1"), message(verdict, REPLICA_DIVERGENCE));
  }

  // ---- liveness ----

  @Test
  void anOperationThatNeverCompletesFailsLivenessNotSafety() {
    Histories h = validBase();
    h.invokeSend("p0", 0, "p0-9");
    Verdict verdict = h.check();
    assertTrue(verdict.safe());
    assertFalse(verdict.valid());
    assertEquals(1, verdict.liveness().pendingCount());
    assertTrue(verdict.liveness().problems().get(0).contains("never completed"));
  }

  @Test
  void aFaultThatNeverEndsFailsLiveness() {
    Verdict verdict = validBase().faultStart("f1").check();
    assertTrue(verdict.safe());
    assertFalse(verdict.liveness().valid());
    assertTrue(verdict.liveness().problems().get(0).contains("never ended"), verdict.liveness().problems().toString());
  }

  @Test
  void writesThatDoNotRecoverWithinTheBoundAfterTheHealFailLiveness() {
    Histories h = new Histories().faultStart("f1").sendInfo("p0", 0, "p0-0").faultEnd("f1");
    h.sendFail("p0", 0, "p0-1");
    h.sleep(Duration.ofSeconds(31));
    h.sendOk("p0", 0, "p0-2", 0).finalRead("n1", 0, "p0-2");
    Verdict verdict = h.check();
    assertTrue(verdict.safe(), verdict.toPrettyJson());
    assertFalse(verdict.liveness().valid());
    assertTrue(verdict.liveness().problems().get(0).contains("more than the 30.000 s allowed"),
        verdict.liveness().problems().toString());
    assertTrue(new Checker(CheckerOptions.defaults().withRecoveryTimeMax(Duration.ofSeconds(60)))
        .check(h.history()).valid());
  }

  @Test
  void noAcknowledgedWriteAfterTheHealFailsLiveness() {
    Verdict verdict = new Histories().sendOk("p0", 0, "p0-0", 0).faultStart("f1").faultEnd("f1")
        .sendInfo("p0", 0, "p0-1").finalRead("n1", 0, "p0-0").check();
    assertTrue(verdict.safe());
    assertEquals(List.of("no write was acknowledged after the last heal"), verdict.liveness().problems());
  }

  // ---- valid histories ----

  /** Three acknowledged records on partition 0, read in full by two consumers and three nodes. */
  private static Histories validBase() {
    return new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p1", 0, "p1-0", 1).sendOk("p0", 0, "p0-1", 2)
        .assign("c0", "g", 0, 0)
        .poll("c0", 0, 0, "p0-0", "p1-0")
        .poll("c0", 0, 2, "p0-1")
        .poll("c1", 0, 1, "p1-0", "p0-1")
        .finalRead("n1", 0, "p0-0", "p1-0", "p0-1")
        .finalRead("n2", 0, "p0-0", "p1-0", "p0-1")
        .finalRead("n3", 0, "p0-0", "p1-0", "p0-1");
  }

  @Test
  void aCleanHistoryIsValid() {
    Verdict verdict = validBase().commitOk("c0", "g", 0, 2).commitOk("c0", "g", 0, 3).check();
    assertAnomalies(verdict);
    assertTrue(verdict.valid(), verdict.toPrettyJson());
  }

  @Test
  void indeterminateWritesMayOrMayNotAppearAndFailedOnesNeverDo() {
    Histories h = new Histories().faultStart("f1")
        .sendInfo("p0", 0, "p0-0")      // turned out written
        .sendInfo("p0", 0, "p0-1")      // turned out not written
        .sendFail("p1", 0, "p1-0")      // certainly not written
        .sendInfo("p1", 0, "p1-1");     // the application retries with a new value...
    h.faultEnd("f1").sendOk("p1", 0, "p1-2", 1); // ...which succeeds after the heal
    h.writer.invoke("p2", new OpValue.Atomic(List.of(
        OpValue.Send.of(T, 0, null, "p2-0"), OpValue.Send.of(T, 1, null, "p2-1")))).info("timeout"); // all visible
    h.writer.invoke("p2", new OpValue.Atomic(List.of(
        OpValue.Send.of(T, 0, null, "p2-2"), OpValue.Send.of(T, 1, null, "p2-3")))).info("timeout"); // none
    HistoryWriter.Op atomic = h.writer.invoke("p3", new OpValue.Atomic(List.of(
        OpValue.Send.of(T, 0, null, "p3-0"), OpValue.Send.of(T, 1, null, "p3-1"))));
    atomic.ok(new OpValue.Atomic(List.of(new OpValue.Send(T, 0, null, "p3-0", 3L), new OpValue.Send(T, 1, null, "p3-1", 1L))));
    Verdict verdict = h
        .poll("c0", 0, 0, "p0-0", "p1-2")
        .assign("c0", null, 0, 0)               // seek back to the beginning: re-reading is fine
        .poll("c0", 0, 0, "p0-0", "p1-2", "p2-0", "p3-0")
        .finalRead("n1", 0, "p0-0", "p1-2", "p2-0", "p3-0").finalRead("n1", 1, "p2-1", "p3-1")
        .finalRead("n2", 0, "p0-0", "p1-2", "p2-0", "p3-0").finalRead("n2", 1, "p2-1", "p3-1")
        .check();
    assertAnomalies(verdict);
    assertTrue(verdict.valid(), verdict.toPrettyJson());
    assertEquals(2 + 4 + 1, verdict.stats().get("indeterminate_records").asLong());
    assertEquals(3, verdict.stats().get("indeterminate_records_seen").asLong());
  }

  @Test
  void aGroupHandingAPartitionOverAtItsCommittedOffsetIsValid() {
    Verdict verdict = validBase()
        .commitOk("c0", "g", 0, 2)
        .assign("c0", "g", 0, 2)   // rebalance: c0 resumes at the committed offset and reads again
        .poll("c0", 0, 2, "p0-1")
        .commitOk("c0", "g", 0, 3)
        .check();
    assertTrue(verdict.valid(), verdict.toPrettyJson());
  }

  @Test
  void concurrentCommitsMayCompleteInAnyOrder() {
    Histories h = validBase();
    HistoryWriter.Op high = h.writer.invoke("c0", new OpValue.Commit("g", null, List.of(new OpValue.Position(T, 0, 3))));
    HistoryWriter.Op low = h.writer.invoke("c1", new OpValue.Commit("g", null, List.of(new OpValue.Position(T, 0, 2))));
    high.ok(high.invoked());
    low.ok(low.invoked());
    assertTrue(h.check().valid());
  }

  @Test
  void aPollOkWithoutReadsCountsAsEmpty() {
    Histories h = validBase();
    HistoryWriter.Op poll = h.writer.invoke("c2", new OpValue.Poll(null, null));
    poll.ok(new OpValue.Poll(null, null));
    assertTrue(h.check().valid());
  }

  @Test
  void valuesSentTwiceCannotBeChecked() {
    Histories h = new Histories().sendOk("p0", 0, "same", 0).sendOk("p1", 0, "same", 1);
    HistoryFormatException e = assertThrows(HistoryFormatException.class, h::check);
    assertTrue(e.getMessage().contains("values must be unique"), e.getMessage());
  }

  @Test
  void theJsonVerdictListsEveryKindWithCountsAndExamples() {
    Verdict verdict = new Histories()
        .sendOk("p0", 0, "p0-0", 0).sendOk("p0", 0, "p0-1", 1)
        .finalRead("n1", 0, "p0-0", null).finalRead("n1", 0, 0, 2, "p0-0")
        .check();
    JsonNode json = verdict.toJson();
    assertFalse(json.get("valid").asBoolean());
    assertEquals(AnomalyKind.values().length, json.get("anomaly_counts").size());
    assertEquals(1, json.get("anomaly_counts").get("lost-write").asInt());
    JsonNode example = json.get("anomalies").get("lost-write").get(0);
    assertEquals("p0-1", example.get("value").asText());
    assertEquals(1, example.get("offset").asInt());
    assertTrue(example.get("message").asText().startsWith("value p0-1"));
    assertTrue(json.get("liveness").get("valid").asBoolean());
    assertEquals(2, json.get("stats").get("operations").get("send").get("ok").asInt());
  }
}
