package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Command;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the leader refuses before proposing (apply trusts these checks). */
class CommandValidatorTest {
  @TempDir
  Path tmp;

  private static ErrorReason rejection(CommandValidator v, LogCore core, String line) {
    Command c = CoreScript.command(line, 1);
    CommandRejectedException e = assertThrows(CommandRejectedException.class,
        () -> v.validate(c, c.getSerializedSize(), core), line);
    assertTrue(e.getMessage().length() > 10, e.getMessage());
    return e.reason();
  }

  @Test
  void topicConfigurationIsCheckedBeforeTheLog() throws IOException, CommandRejectedException {
    CommandValidator v = new CommandValidator(Limits.DEFAULT);
    try (LogCore core = LogCore.open(tmp.resolve("db"))) {
      new CoreScript(core).run("create-topic t 1");
      assertEquals(ErrorReason.INVALID_CONFIG, rejection(v, core, "create-topic u 1 retention.hours=3"));
      assertEquals(ErrorReason.INVALID_CONFIG, rejection(v, core, "create-topic u 1 retention.ms=soon"));
      assertEquals(ErrorReason.INVALID_CONFIG, rejection(v, core, "create-topic u 1 retention.bytes=-2"));
      assertEquals(ErrorReason.INVALID_CONFIG, rejection(v, core, "alter-topic t -retention.days"));
      assertEquals(ErrorReason.UNKNOWN_TOPIC, rejection(v, core, "alter-topic ghost retention.ms=1"));
      assertEquals(ErrorReason.INVALID_PARTITION_COUNT, rejection(v, core, "create-topic u 0"));
      assertEquals(ErrorReason.INVALID_TOPIC_NAME, rejection(v, core, "create-topic a:b 1"));
      Command ok = CoreScript.command("alter-topic t retention.ms=-1 -retention.bytes", 1);
      v.validate(ok, ok.getSerializedSize(), core);
    }
  }
}
