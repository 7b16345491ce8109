package io.sluice.node.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.joran.spi.JoranException;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's logback.xml in both formats: every line carries the node id, and in JSON every
 * line is one valid object, whatever the message holds.
 */
class LogFormatTest {
  /** Configures a fresh logging context from the server's logback.xml and logs through it. */
  private static List<String> logLines(String format, String nodeId) throws JoranException {
    URL config = LogFormatTest.class.getClassLoader().getResource("logback.xml");
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    context.putProperty("sluice.log.format", format);
    context.putProperty("sluice.node.id", nodeId);
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(config);
      var log = context.getLogger("io.sluice.test");
      log.info("plain {}", 1);
      log.warn("quotes \" and \\ and\nnew line");
      log.error("failed", new IllegalStateException("boom"));
    } finally {
      context.stop();
      System.setErr(err);
    }
    return captured.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  void textLinesNameTheNode() throws Exception {
    List<String> lines = logLines("text", "n7");
    assertTrue(lines.get(0).contains(" INFO  node=n7 [") && lines.get(0).endsWith("io.sluice.test - plain 1"),
        lines.get(0));
    assertTrue(lines.stream().filter(l -> l.contains("node=n7")).count() >= 3, lines.toString());
  }

  @Test
  void jsonLinesAreObjectsWithTheNodeId() throws Exception {
    List<String> lines = logLines("json", "n7");
    assertEquals(3, lines.size(), "one line per event, the multi-line message and the stack trace included: "
        + lines);
    for (String line : lines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertEquals("n7", o.getAsJsonObject("context").getAsJsonObject("properties").get("sluice.node.id")
          .getAsString(), line);
      assertEquals("io.sluice.test", o.get("loggerName").getAsString());
    }
    JsonObject first = JsonParser.parseString(lines.get(0)).getAsJsonObject();
    assertEquals("INFO", first.get("level").getAsString());
    assertEquals("plain 1", first.get("formattedMessage").getAsString());
    assertEquals("quotes \" and \\ and\nnew line",
        JsonParser.parseString(lines.get(1)).getAsJsonObject().get("formattedMessage").getAsString());
    assertTrue(lines.get(2).contains("boom"), lines.get(2));
  }
}
