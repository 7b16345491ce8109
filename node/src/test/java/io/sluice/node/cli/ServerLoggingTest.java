package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A log format other than text or json stops the server before it starts (a typo must not pass). */
class ServerLoggingTest {
  @Test
  void anUnknownFormatIsRefusedWithTheSettingsNamed() {
    String before = System.getProperty(ServerLogging.FORMAT_PROPERTY);
    System.setProperty(ServerLogging.FORMAT_PROPERTY, "JSON");
    try {
      assertEquals("JSON", ServerLogging.format(), "the system property wins, taken literally as logback does");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerLogging.tagWithNodeId("n1"));
      assertTrue(e.getMessage().contains("'JSON'") && e.getMessage().contains("SLUICE_LOG_FORMAT"), e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty(ServerLogging.FORMAT_PROPERTY);
      } else {
        System.setProperty(ServerLogging.FORMAT_PROPERTY, before);
      }
    }
  }
}
