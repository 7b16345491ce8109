package io.sluice.chaos.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.chaos.checker.Checker;
import io.sluice.chaos.checker.Verdict;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryReader;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {

  @TempDir Path dir;

  /** 20 s of writes at 100 ms intervals, a fault from 5 s to 9 s, and a record lost on node n2. */
  private static Path recordRun(Path file) throws Exception {
    try (HistoryWriter history = HistoryWriter.create(file)) {
      long offset = 0;
      for (int i = 0; i < 40; i++) {
        if (i == 10) {
          history.nemesisStart("f1", "partition", "isolate <n1> & n2", List.of("n1"));
        }
        if (i == 20) {
          history.nemesisEnd("f1", "partition", "heal", List.of());
        }
        OpValue.Send send = OpValue.Send.of("t", 0, null, "p0-" + i);
        HistoryWriter.Op op = history.invoke("p0", send);
        if (i >= 10 && i < 15) {
          op.info("deadline exceeded");
        } else {
          op.ok(send.acknowledged(0, offset++));
        }
        Thread.sleep(2);
      }
      List<OpValue.Read> all = new java.util.ArrayList<>();
      long o = 0;
      for (int i = 0; i < 40; i++) {
        if (i < 10 || i >= 15) {
          all.add(OpValue.Read.of("t", 0, o++, "p0-" + i));
        }
      }
      for (String node : List.of("n1", "n2")) {
        List<OpValue.Read> reads = node.equals("n2") ? all.subList(1, all.size()) : all;
        HistoryWriter.Op read = history.invoke("final", OpValue.FinalRead.request(node, "t", 0));
        read.ok(new OpValue.FinalRead(node, "t", 0, 0L, o, reads));
      }
    }
    return file;
  }

  @Test
  void reportIsSelfContainedWithFaultsPlotsAndAnomalies() throws Exception {
    Path historyFile = recordRun(dir.resolve("recorded.jsonl"));
    History history = HistoryReader.read(historyFile);
    Verdict verdict = new Checker().check(history);
    assertFalse(verdict.valid());
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("seed", "42");
    facts.put("reproduce", "bin/sluice check-history history.jsonl");
    Path report = RunReport.write(dir.resolve("out"), "scenario <partition>", facts, historyFile, history, verdict);

    assertTrue(Files.exists(dir.resolve("out/history.jsonl")));
    assertEquals(Files.readString(historyFile), Files.readString(dir.resolve("out/history.jsonl")));
    assertTrue(Files.readString(dir.resolve("out/verdict.json")).contains("\"valid\" : false"));
    String html = Files.readString(report);
    assertTrue(html.startsWith("<!DOCTYPE html>"));
    for (String external : List.of("<script", "<link", "src=", "http://", "https://", "@import", "url(")) {
      String withoutSvgNamespace = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
      assertFalse(withoutSvgNamespace.contains(external), "report refers to something external: " + external);
    }
    assertTrue(html.contains("scenario &lt;partition&gt;"));
    assertTrue(html.contains("isolate &lt;n1&gt; &amp; n2"), "fault description, escaped");
    assertTrue(html.contains("fill-opacity=\"0.18\""), "fault interval shaded on the plots");
    assertTrue(html.contains("Throughput") && html.contains("Latency"));
    assertTrue(html.contains("lost-write") && html.contains("replica-divergence"));
    assertTrue(html.contains("value p0-0 was observed at t/0@0"), "lost-write example shown");
    assertTrue(html.contains("INVALID"));

    Matcher svgs = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL).matcher(html);
    int count = 0;
    while (svgs.find()) {
      count++;
      DocumentBuilderFactory.newInstance().newDocumentBuilder()
          .parse(new ByteArrayInputStream(svgs.group().getBytes(StandardCharsets.UTF_8))); // well-formed
    }
    assertEquals(3, count, "fault timeline, throughput, latency");
  }

  @Test
  void aHistoryWithoutFaultsOrWritesStillRenders() {
    HistoryWriter writer = HistoryWriter.inMemory();
    History history = History.of(writer.events());
    String html = HtmlReport.render("empty", Map.of(), history, new Checker().check(history));
    assertTrue(html.contains("No fault was recorded"));
    assertTrue(html.contains("no write was acknowledged after the start"));
  }
}
