package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice check-history}: verdict on stdout, exit 0 valid / 1 invalid / 2 unreadable. */
class CheckHistoryCommandTest {

  @TempDir Path tmp;

  /** Two acknowledged sends and a final read holding {@code stored}. */
  private Path history(String name, String... stored) throws Exception {
    Path file = tmp.resolve(name);
    try (HistoryWriter history = HistoryWriter.create(file)) {
      for (int i = 0; i < 2; i++) {
        OpValue.Send send = OpValue.Send.of("t", 0, null, "p0-" + i);
        history.invoke("p0", send).ok(send.acknowledged(0, i));
      }
      HistoryWriter.Op read = history.invoke("final", OpValue.FinalRead.request("n1", "t", 0));
      List<OpValue.Read> reads = new java.util.ArrayList<>();
      for (int i = 0; i < stored.length; i++) {
        reads.add(OpValue.Read.of("t", 0, i, stored[i]));
      }
      read.ok(new OpValue.FinalRead("n1", "t", 0, 0L, (long) stored.length, reads));
    }
    return file;
  }

  @Test
  void aValidHistoryPrintsAValidVerdictAndExitsZero() throws Exception {
    CliRun run = CliRun.run("check-history", history("ok.jsonl", "p0-0", "p0-1").toString());
    assertEquals(SluiceCli.EXIT_OK, run.exitCode(), run.toString());
    JsonNode verdict = new ObjectMapper().readTree(run.out());
    assertTrue(verdict.get("valid").asBoolean());
    assertEquals(0, verdict.get("anomaly_counts").get("lost-write").asInt());
    assertTrue(run.err().contains("valid: no anomaly"), run.toString());
  }

  @Test
  void anInvalidHistoryPrintsTheAnomaliesExitsOneAndWritesTheReport() throws Exception {
    Path report = tmp.resolve("report");
    CliRun run = CliRun.run("check-history", history("dup.jsonl", "p0-0", "p0-1", "p0-1").toString(),
        "--report", report.toString());
    assertEquals(SluiceCli.EXIT_FAILED, run.exitCode(), run.toString());
    JsonNode verdict = new ObjectMapper().readTree(run.out());
    assertTrue(!verdict.get("valid").asBoolean());
    assertEquals(1, verdict.get("anomaly_counts").get("duplicate").asInt());
    assertTrue(verdict.get("anomalies").get("duplicate").get(0).get("message").asText().contains("p0-1"));
    assertTrue(run.err().contains("INVALID: duplicate=1"), run.toString());
    assertTrue(Files.readString(report.resolve("report.html")).contains("duplicate"));
    assertTrue(Files.exists(report.resolve("verdict.json")));
    assertTrue(Files.exists(report.resolve("history.jsonl")));
  }

  @Test
  void aMalformedHistoryIsExitTwoWithTheLineThatIsWrong() throws Exception {
    Path file = tmp.resolve("bad.jsonl");
    Files.writeString(file, Files.readString(history("x.jsonl", "p0-0")).lines().findFirst().orElseThrow()
        + "\n{\"index\":1,\"time_ns\":5,\"process\":\"p0\",\"type\":\"sideways\",\"f\":\"send\"}\n");
    CliRun run = CliRun.run("check-history", file.toString());
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    assertEquals("", run.out());
    assertEquals(1, run.errLines().size(), run.toString());
    assertTrue(run.err().startsWith("sluice: error: " + file + " is not a valid history: line 2: type must be"),
        run.toString());
  }

  @Test
  void aMissingFileIsExitTwo() {
    CliRun run = CliRun.run("check-history", tmp.resolve("nope.jsonl").toString());
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    assertEquals(List.of("sluice: error: cannot read " + tmp.resolve("nope.jsonl") + ": no such file"), run.errLines());
  }

  @Test
  void aHistoryThatReusesAValueCannotBeCheckedAndSaysWhy() throws Exception {
    Path file = tmp.resolve("reused.jsonl");
    try (HistoryWriter history = HistoryWriter.create(file)) {
      history.invoke("p0", OpValue.Send.of("t", 0, null, "same")).fail("x");
      history.invoke("p1", OpValue.Send.of("t", 0, null, "same")).fail("x");
    }
    CliRun run = CliRun.run("check-history", file.toString());
    assertEquals(SluiceCli.EXIT_USAGE, run.exitCode(), run.toString());
    assertTrue(run.err().contains("values must be unique"), run.toString());
  }
}
