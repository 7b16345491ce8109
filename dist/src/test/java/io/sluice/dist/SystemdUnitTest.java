package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/systemd/sluice.service: runs the unpacked archive and stops it gracefully. */
class SystemdUnitTest {
  static final Path UNIT = Path.of("..", "deploy", "systemd", "sluice.service");

  /** section.key to value; a key given twice fails (none of ours may be). */
  static Map<String, String> parse(Path unit) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    String section = null;
    for (String raw : Files.readAllLines(unit)) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
        continue;
      }
      if (line.startsWith("[")) {
        section = line.substring(1, line.indexOf(']'));
        continue;
      }
      int eq = line.indexOf('=');
      assertTrue(section != null && eq > 0, "not a unit line: " + line);
      String key = section + "." + line.substring(0, eq);
      assertEquals(null, values.put(key, line.substring(eq + 1)), key + " set twice");
    }
    return values;
  }

  @Test
  void runsTheArchiveLauncherAndStopsGracefully() throws IOException {
    Map<String, String> unit = parse(UNIT);
    assertEquals("/opt/sluice/bin/sluice server --config /etc/sluice/node.properties", unit.get("Service.ExecStart"));
    assertEquals("sluice", unit.get("Service.User"));
    assertEquals("on-failure", unit.get("Service.Restart"));
    // A configuration error (exit 2) is not retried; SIGTERM's 143 is a clean stop.
    assertEquals("2", unit.get("Service.RestartPreventExitStatus"));
    assertEquals("SIGTERM", unit.get("Service.KillSignal"));
    assertEquals("143", unit.get("Service.SuccessExitStatus"));
    assertTrue(Integer.parseInt(unit.get("Service.TimeoutStopSec")) >= 60, "time for a graceful shutdown");
    assertTrue(Long.parseLong(unit.get("Service.LimitNOFILE")) >= 65536);
    assertEquals("sluice", unit.get("Service.StateDirectory"), "data.dir=/var/lib/sluice is writable");
    assertEquals("multi-user.target", unit.get("Install.WantedBy"));
  }
}
