package io.sluice.chaos.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryRoundTripTest {

  @TempDir Path dir;

  @Test
  void everyValueTypeSurvivesWriteAndRead() throws IOException {
    Path file = dir.resolve("history.jsonl");
    try (HistoryWriter history = HistoryWriter.create(file)) {
      OpValue.Send send = OpValue.Send.of("t", null, "k1", "p0-0");
      HistoryWriter.Op op = history.invoke("p0", send);
      op.ok(send.acknowledged(2, 7));
      history.invoke("p0", OpValue.Send.of("t", 1, null, "p0-1")).fail("rejected: topic full");
      history.invoke("p1", new OpValue.Atomic(List.of(OpValue.Send.of("t", 0, null, "p1-0"),
          OpValue.Send.of("u", 0, null, "p1-1")))).info("deadline exceeded");
      history.nemesisStart("f1", "partition", "isolate n2", List.of("n2"));
      HistoryWriter.Op poll = history.invoke("c0", new OpValue.Poll("g", null));
      poll.ok(new OpValue.Poll("g", List.of(OpValue.Read.of("t", 2, 7, "p0-0"))));
      history.assign("c0", new OpValue.Assign("g", 3, List.of(new OpValue.Position("t", 2, 8))));
      HistoryWriter.Op commit = history.invoke("c0", new OpValue.Commit("g", 3, List.of(new OpValue.Position("t", 2, 8))));
      commit.ok(commit.invoked());
      history.nemesisEnd("f1", "partition", "heal", List.of());
      HistoryWriter.Op read = history.invoke("final", OpValue.FinalRead.request("n1", "t", 2));
      read.ok(new OpValue.FinalRead("n1", "t", 2, 0L, 8L, List.of(OpValue.Read.of("t", 2, 7, "p0-0"))));
      history.invoke("p2", OpValue.Send.of("t", 0, null, "p2-0")); // never completes
    }
    List<String> lines = Files.readAllLines(file);
    assertEquals(16, lines.size());
    assertEquals("{\"index\":0,\"time_ns\":" + timeOf(lines.get(0))
        + ",\"process\":\"p0\",\"type\":\"invoke\",\"f\":\"send\",\"op\":0,"
        + "\"value\":{\"topic\":\"t\",\"key\":\"k1\",\"value\":\"p0-0\"}}", lines.get(0));

    History history = HistoryReader.read(file);
    assertEquals(16, history.events().size());
    List<Operation> ops = history.operations();
    assertEquals(7, ops.size());
    assertEquals(new OpValue.Send("t", 2, "k1", "p0-0", 7L), ops.get(0).value());
    assertEquals(OpType.FAIL, ops.get(1).outcome());
    assertEquals("rejected: topic full", ops.get(1).completion().error());
    assertEquals(OpType.INFO, ops.get(2).outcome());
    assertEquals(2, ((OpValue.Atomic) ops.get(2).value()).sends().size());
    assertEquals(List.of(OpValue.Read.of("t", 2, 7, "p0-0")), ((OpValue.Poll) ops.get(3).value()).reads());
    assertEquals(new OpValue.FinalRead("n1", "t", 2, 0L, 8L, List.of(OpValue.Read.of("t", 2, 7, "p0-0"))),
        ops.get(5).value());
    assertNull(ops.get(6).outcome());
    assertEquals(2, history.observations(OpFunction.NEMESIS).size());
    OpValue.Nemesis start = (OpValue.Nemesis) history.observations(OpFunction.NEMESIS).get(0).value();
    assertEquals(new OpValue.Nemesis("start", "f1", "partition", "isolate n2", List.of("n2")), start);
    assertEquals(new OpValue.Assign("g", 3, List.of(new OpValue.Position("t", 2, 8))),
        history.observations(OpFunction.ASSIGN).get(0).value());
    for (int i = 1; i < history.events().size(); i++) {
      assertTrue(history.events().get(i).timeNs() >= history.events().get(i - 1).timeNs());
    }
  }

  private static String timeOf(String line) {
    return line.replaceAll(".*\"time_ns\":(\\d+).*", "$1");
  }

  @Test
  void concurrentWritersProduceOneWellFormedLinePerEvent() throws Exception {
    Path file = dir.resolve("concurrent.jsonl");
    int threads = 8;
    int perThread = 500;
    try (HistoryWriter history = HistoryWriter.create(file)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      for (int t = 0; t < threads; t++) {
        String process = "p" + t;
        pool.submit(() -> {
          for (int i = 0; i < perThread; i++) {
            OpValue.Send send = OpValue.Send.of("t", 0, null, process + "-" + i);
            history.invoke(process, send).ok(send.acknowledged(0, i));
          }
        });
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
    }
    History history = HistoryReader.read(file);
    assertEquals(threads * perThread * 2, history.events().size());
    assertEquals(threads * perThread, history.operations().size());
    assertTrue(history.operations().stream().allMatch(Operation::isOk));
  }

  @Test
  void pairsByProcessWhenThereIsNoOpIdAsJepsenDoes() throws IOException {
    String text = """
        {"index":0,"time_ns":5,"process":"p1","type":"invoke","f":"send","value":{"topic":"t","partition":0,"key":null,"value":"a"}}
        {"index":1,"time_ns":9,"process":"p1","type":"ok","f":"send","value":{"topic":"t","partition":0,"key":null,"value":"a","offset":0}}
        """;
    History history = History.of(HistoryReader.readEvents(new StringReader(text)));
    assertEquals(1, history.operations().size());
    assertEquals(0L, ((OpValue.Send) history.operations().get(0).value()).offset());
  }

  @Test
  void malformedLinesAreReportedWithTheirLineNumber() {
    assertMalformed("{\"index\":0", "line 1: not JSON");
    assertMalformed("{\"index\":0,\"time_ns\":1,\"process\":\"p\",\"type\":\"maybe\",\"f\":\"send\"}", "line 1: type must be");
    assertMalformed("\n{\"index\":0,\"time_ns\":1,\"process\":\"p\",\"type\":\"invoke\",\"f\":\"send\",\"value\":{\"topic\":\"t\"}}",
        "line 2: missing field value.value");
    assertMalformed("{\"index\":0,\"time_ns\":1,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"op\":4,"
        + "\"value\":{\"topic\":\"t\",\"value\":\"v\",\"offset\":1}}", "without an outstanding invoke");
  }

  private static void assertMalformed(String text, String expected) {
    HistoryFormatException e = assertThrows(HistoryFormatException.class,
        () -> History.of(HistoryReader.readEvents(new StringReader(text))));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void anOperationCompletesOnlyOnce() {
    HistoryWriter history = HistoryWriter.inMemory();
    HistoryWriter.Op op = history.invoke("p", OpValue.Send.of("t", 0, null, "v"));
    op.info("timeout");
    assertThrows(IllegalStateException.class, () -> op.fail("late"));
    assertEquals(2, history.events().size());
  }
}
