package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class QuorumRuleTest {

  @Test
  void majorities() {
    assertEquals(1, QuorumRule.majority(1));
    assertEquals(2, QuorumRule.majority(2));
    assertEquals(2, QuorumRule.majority(3));
    assertEquals(3, QuorumRule.majority(4));
    assertEquals(3, QuorumRule.majority(5));
  }

  @Test
  void removingADeadVoterIsAllowedWhileTheRestHaveAMajority() {
    assertNull(QuorumRule.removalRefusal(List.of("n1", "n2", "n3"), "n3", List.of("n1", "n2")));
    assertNull(QuorumRule.removalRefusal(List.of("n1", "n2", "n3", "n4", "n5"), "n5", List.of("n1", "n2", "n3")));
  }

  @Test
  void removingALiveVoterWhileAnotherIsDeadLosesTheMajority() {
    String refusal = QuorumRule.removalRefusal(List.of("n1", "n2", "n3"), "n2", List.of("n1", "n2"));
    assertTrue(refusal != null && refusal.contains("[n1, n3]") && refusal.contains("only [n1]")
        && refusal.contains("majority (2 of 2)"), refusal);
  }

  @Test
  void fiveVotersTwoDeadRemovingALiveOneIsRefused() {
    // After: n2..n5 (4 voters) with n2, n3 reachable: 2 < 3.
    String refusal = QuorumRule.removalRefusal(List.of("n1", "n2", "n3", "n4", "n5"), "n1",
        List.of("n1", "n2", "n3"));
    assertTrue(refusal != null && refusal.contains("majority (3 of 4)"), refusal);
  }

  @Test
  void theLastVoterCannotBeRemoved() {
    String refusal = QuorumRule.removalRefusal(List.of("n1"), "n1", List.of("n1"));
    assertTrue(refusal != null && refusal.contains("only voter"), refusal);
  }

  @Test
  void theCurrentVotersMustHaveAMajorityToo() {
    // 4 voters, two reachable; removing a dead one leaves 3 with 2 reachable (a majority), but
    // the joint configuration also needs 3 of the current 4.
    String refusal = QuorumRule.removalRefusal(List.of("n1", "n2", "n3", "n4"), "n4", List.of("n1", "n2"));
    assertTrue(refusal != null && refusal.contains("current voters"), refusal);
  }
}
