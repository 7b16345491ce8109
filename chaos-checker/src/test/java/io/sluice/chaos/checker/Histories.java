package io.sluice.chaos.checker;

import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Builds hand-written histories for the checker's tests; each event is 1 ms after the previous. */
final class Histories {

  static final String T = "t";

  final AtomicLong clockNs = new AtomicLong();
  final HistoryWriter writer = HistoryWriter.inMemory(() -> clockNs.addAndGet(1_000_000));

  /** Lets {@code duration} pass on the history's clock. */
  Histories sleep(Duration duration) {
    clockNs.addAndGet(duration.toNanos());
    return this;
  }

  HistoryWriter.Op invokeSend(String process, int partition, String value) {
    return writer.invoke(process, OpValue.Send.of(T, partition, null, value));
  }

  static void ok(HistoryWriter.Op op, long offset) {
    OpValue.Send send = (OpValue.Send) op.invoked();
    op.ok(send.acknowledged(send.partition(), offset));
  }

  Histories sendOk(String process, int partition, String value, long offset) {
    ok(invokeSend(process, partition, value), offset);
    return this;
  }

  Histories sendFail(String process, int partition, String value) {
    invokeSend(process, partition, value).fail("rejected");
    return this;
  }

  Histories sendInfo(String process, int partition, String value) {
    invokeSend(process, partition, value).info("deadline exceeded");
    return this;
  }

  /** A poll of partition {@code partition} returning {@code values} at offsets from {@code first}. */
  Histories poll(String process, int partition, long first, String... values) {
    HistoryWriter.Op op = writer.invoke(process, new OpValue.Poll(null, null));
    op.ok(new OpValue.Poll(null, reads(partition, first, values)));
    return this;
  }

  /** A poll of consumer group {@code group}'s member {@code process}, like {@link #poll}. */
  Histories groupPoll(String process, String group, int partition, long first, String... values) {
    HistoryWriter.Op op = writer.invoke(process, new OpValue.Poll(group, null));
    op.ok(new OpValue.Poll(group, reads(partition, first, values)));
    return this;
  }

  Histories assign(String process, String group, int partition, long offset) {
    writer.assign(process, new OpValue.Assign(group, null, List.of(new OpValue.Position(T, partition, offset))));
    return this;
  }

  Histories commitOk(String process, String group, int partition, long offset) {
    HistoryWriter.Op op = writer.invoke(process,
        new OpValue.Commit(group, null, List.of(new OpValue.Position(T, partition, offset))));
    op.ok(op.invoked());
    return this;
  }

  /** Node {@code node} holds {@code values} in {@code partition} from offset 0 (null: a hole). */
  Histories finalRead(String node, int partition, String... values) {
    return finalRead(node, partition, 0, values.length, values);
  }

  Histories finalRead(String node, int partition, long start, long end, String... values) {
    HistoryWriter.Op op = writer.invoke("final", OpValue.FinalRead.request(node, T, partition));
    op.ok(new OpValue.FinalRead(node, T, partition, start, end, reads(partition, start, values)));
    return this;
  }

  /** A final read of {@code partition} from {@code node} that failed with {@code error}. */
  Histories finalReadFail(String node, int partition, String error) {
    HistoryWriter.Op op = writer.invoke("final", OpValue.FinalRead.request(node, T, partition));
    op.fail(error);
    return this;
  }

  Histories faultStart(String id) {
    writer.nemesisStart(id, "partition", "isolate n1", List.of("n1"));
    return this;
  }

  Histories faultEnd(String id) {
    writer.nemesisEnd(id, "partition", "heal", List.of("n1"));
    return this;
  }

  private static List<OpValue.Read> reads(int partition, long first, String... values) {
    List<OpValue.Read> reads = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null) {
        reads.add(OpValue.Read.of(T, partition, first + i, values[i]));
      }
    }
    return reads;
  }

  History history() {
    return History.of(writer.events());
  }

  Verdict check() {
    return new Checker().check(history());
  }
}
