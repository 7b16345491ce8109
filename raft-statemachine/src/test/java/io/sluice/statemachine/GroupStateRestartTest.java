package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group membership and committed offsets live in RocksDB: a reopened core (restart, snapshot) has them. */
class GroupStateRestartTest {
  @TempDir
  Path tmp;

  @Test
  void groupsAndOffsetsSurviveReopenAndIgnoreARecreatedTopic() throws Exception {
    String before;
    try (LogCore core = LogCore.open(tmp)) {
      CoreScript s = new CoreScript(core);
      s.run("create-topic t 2");
      s.run("join g - a t");
      s.run("commit g a-2 1 t/0=4,t/1=2");
      before = CoreScript.describeGroup(core, "g");
    }
    try (LogCore core = LogCore.open(tmp)) {
      assertEquals(before, CoreScript.describeGroup(core, "g"));
      assertEquals(2, core.committedOffsets("g").size());
      CoreScript s = new CoreScript(core);
      s.run("delete-topic t");
      s.run("create-topic t 2");
      // Offsets of the deleted incarnation of t are not offsets of the new one.
      assertEquals(0, core.committedOffsets("g").size());
    }
  }
}
