package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.QuotaEntry;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.RemoveQuota;
import io.sluice.internal.v1.SetQuota;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicated quotas: durable, in checkpoints, readers see immutable maps, validated before the log. */
class QuotaStateTest {
  @TempDir Path tmp;

  private static QuotaEntry quota(String principal, long produce, long fetch) {
    return QuotaEntry.newBuilder().setPrincipal(principal).setProduceBytesPerSecond(produce)
        .setFetchBytesPerSecond(fetch).build();
  }

  private static Command set(QuotaEntry q, int max) {
    return Command.newBuilder().setSetQuota(SetQuota.newBuilder().setQuota(q).setQuotasMax(max)).build();
  }

  @Test
  void quotasSurviveRestartAndCheckpoint() throws IOException {
    Path db = tmp.resolve("db");
    try (LogCore core = LogCore.open(db)) {
      core.apply(1, 1, set(quota("alice", 1000, 0), 10));
      Map<String, QuotaEntry> seen = core.quotas();
      core.apply(1, 2, set(quota("bob", 0, 500), 10));
      assertEquals(Map.of("alice", quota("alice", 1000, 0)), seen, "a reader's map never changes under it");
      core.apply(1, 3, Command.newBuilder().setRemoveQuota(RemoveQuota.newBuilder().setPrincipal("bob")).build());
      assertEquals(Map.of("alice", quota("alice", 1000, 0)), core.quotas());
    }
    try (LogCore core = LogCore.open(db)) {
      assertEquals(Map.of("alice", quota("alice", 1000, 0)), core.quotas());
      core.checkpoint(tmp.resolve("cp"));
    }
    try (LogCore other = LogCore.open(tmp.resolve("other"))) {
      assertEquals(Map.of(), other.quotas());
      other.replaceWith(tmp.resolve("cp"), 3);
      assertEquals(Map.of("alice", quota("alice", 1000, 0)), other.quotas());
    }
  }

  @Test
  void badQuotasAreRejectedBeforeTheLog() throws Exception {
    try (LogCore core = LogCore.open(tmp.resolve("db"))) {
      CommandValidator v = new CommandValidator(Limits.DEFAULT);
      for (QuotaEntry bad : new QuotaEntry[] {quota("alice", -1, 0), quota("alice", 0, -5), quota("", 1, 1),
          quota("*", 1, 1), quota("a\nb", 1, 1), quota("x".repeat(300), 1, 1)}) {
        CommandRejectedException e = assertThrows(CommandRejectedException.class, () -> v.validate(set(bad, 5), 10, core));
        assertEquals(ErrorReason.INVALID_REQUEST, e.reason(), bad.toString());
      }
      assertThrows(CommandRejectedException.class, () -> v.validate(set(quota("alice", 1, 1), 0), 10, core));
      assertThrows(CommandRejectedException.class, () -> v.validate(Command.newBuilder()
          .setRemoveQuota(RemoveQuota.newBuilder().setPrincipal("")).build(), 10, core));
      v.validate(set(quota("alice", 0, 0), 5), 10, core);
    }
  }
}
