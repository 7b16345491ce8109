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

  @Test
  void topicAndPartitionCountsAreCheckedBeforeTheLog() throws IOException, CommandRejectedException {
    CommandValidator v = new CommandValidator(Limits.DEFAULT);
    try (LogCore core = LogCore.open(tmp.resolve("db"))) {
      new CoreScript(core).run("create-topic a 3");
      new CoreScript(core).run("create-topic b 1");
      assertEquals(ErrorReason.TOO_MANY_TOPICS, rejection(v, core, "create-topic c 1 topics.max=2"));
      assertEquals(ErrorReason.TOO_MANY_PARTITIONS, rejection(v, core, "create-topic c 3 partitions.max=6"));
      Command fits = CoreScript.command("create-topic c 2 topics.max=3 partitions.max=6", 1);
      v.validate(fits, fits.getSerializedSize(), core);
      // An existing name is apply's TOPIC_EXISTS, not a count limit.
      Command existing = CoreScript.command("create-topic a 1 topics.max=2", 1);
      v.validate(existing, existing.getSerializedSize(), core);
    }
  }

  @Test
  void aGroupCommitIsCheckedRequestByRequestAndAsAWhole() throws IOException, CommandRejectedException {
    // A request may be just smaller than 40 records; a group just larger than two 1-record requests.
    int requestMax = CoreScript.command("append t/1:40", 1).getAppend().getSerializedSize() - 1;
    int groupMax = CoreScript.command("merged append t/0:1 | append t/1:1", 1).getSerializedSize() + 10;
    CommandValidator v = new CommandValidator(new Limits(1 << 20, 1 << 20, requestMax, 1000, groupMax));
    try (LogCore core = LogCore.open(tmp.resolve("db"))) {
      new CoreScript(core).run("create-topic t 2");
      Command ok = CoreScript.command("merged append t/0:1 | append t/1:1", 1);
      v.validate(ok, ok.getSerializedSize(), core);
      // One bad request in a group is refused by the group's check too (the leader checks each
      // request on its own before merging, so this guards entries that bypass it).
      assertEquals(ErrorReason.UNKNOWN_TOPIC, rejection(v, core, "merged append t/0:1 | append ghost/0:1"));
      assertEquals(ErrorReason.UNKNOWN_PARTITION, rejection(v, core, "merged append t/0:1 | append t/7:1"));
      // A request over requestBytesMax inside a group, and a group over groupBytesMax.
      CommandValidator roomyGroups = new CommandValidator(new Limits(1 << 20, 1 << 20, requestMax, 1000, 1 << 20));
      assertEquals(ErrorReason.RECORD_TOO_LARGE, rejection(roomyGroups, core, "merged append t/0:1 | append t/1:40"));
      Command fits = CoreScript.command("merged append t/0:1 | append t/1:39", 1);
      roomyGroups.validate(fits, fits.getSerializedSize(), core);
      assertEquals(ErrorReason.RECORD_TOO_LARGE,
          rejection(v, core, "merged append t/0:4 | append t/1:4 | append t/0:4 | append t/1:4"));
      Command empty = Command.newBuilder().setAppendGroup(io.sluice.internal.v1.AppendGroup.getDefaultInstance()).build();
      assertEquals(ErrorReason.INVALID_REQUEST, assertThrows(CommandRejectedException.class,
          () -> v.validate(empty, empty.getSerializedSize(), core)).reason());
      // The same bytes as a lone request are within requestBytesMax rules, not the group's.
      Command lone = CoreScript.command("append t/0:4", 1);
      v.validate(lone, lone.getSerializedSize(), core);
    }
  }
}
