package io.sluice.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

/** Each condition of readiness, on its own. */
class ReadinessJudgeTest {
  private static final long LAG_MAX = 1000;

  private static Readiness.State follower(String leader, long commit, long applied) {
    return new Readiness.State(true, true, leader, false, false, 3, commit, applied);
  }

  @Test
  void aCaughtUpFollowerThatKnowsTheLeaderIsReady() {
    Readiness.Verdict v = Readiness.judge(follower("n1", 500, 490), LAG_MAX);
    assertTrue(v.ready(), v.reason());
    JsonObject json = JsonParser.parseString(v.toJson("n2")).getAsJsonObject();
    assertTrue(json.get("ready").getAsBoolean());
    assertEquals("n2", json.get("node").getAsString());
    assertEquals("n1", json.get("leader").getAsString());
    assertEquals(500, json.get("commit_index").getAsLong());
  }

  @Test
  void applyLagIsBoundedInclusive() {
    assertTrue(Readiness.judge(follower("n1", 2000, 1000), LAG_MAX).ready(), "exactly at the bound");
    Readiness.Verdict behind = Readiness.judge(follower("n1", 2001, 1000), LAG_MAX);
    assertFalse(behind.ready());
    assertTrue(behind.reason().contains("1001 entries behind"), behind.reason());
    assertTrue(behind.reason().contains("health.ready.apply.lag.entries.max"), behind.reason());
  }

  @Test
  void noLeaderKnownIsNotReady() {
    Readiness.Verdict v = Readiness.judge(follower(null, 10, 10), LAG_MAX);
    assertFalse(v.ready());
    assertTrue(v.reason().contains("no leader"), v.reason());
    JsonObject json = JsonParser.parseString(v.toJson("n2")).getAsJsonObject();
    assertFalse(json.get("ready").getAsBoolean());
    assertTrue(json.get("leader").isJsonNull());
  }

  @Test
  void aLeaderIsReadyOnlyOnceItsTermHasAnAppliedEntry() {
    assertFalse(Readiness.judge(new Readiness.State(true, true, "n1", true, false, 4, 10, 10), LAG_MAX).ready());
    assertTrue(Readiness.judge(new Readiness.State(true, true, "n1", true, true, 4, 11, 11), LAG_MAX).ready());
  }

  @Test
  void notJoinedIsNotReady() {
    Readiness.Verdict notMember = Readiness.judge(new Readiness.State(true, false, "n1", false, false, 3, 5, 5), LAG_MAX);
    assertFalse(notMember.ready());
    assertTrue(notMember.reason().contains("configuration"), notMember.reason());
    Readiness.Verdict notRunning = Readiness.judge(Readiness.State.unavailable(), LAG_MAX);
    assertFalse(notRunning.ready());
    assertTrue(notRunning.reason().contains("not running"), notRunning.reason());
  }
}
