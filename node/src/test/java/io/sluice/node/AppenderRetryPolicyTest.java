package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.apache.ratis.retry.MultipleLinearRandomRetry;
import org.apache.ratis.retry.RetryPolicy;
import org.junit.jupiter.api.Test;

/**
 * The leader's back-off towards a failing follower: it must stay well under an election timeout
 * however many errors accumulate (Ratis's default reaches 5 s, and a follower just back from a
 * pause then lagged for minutes in the chaos suite), and it must never run out of retries.
 */
class AppenderRetryPolicyTest {

  private static long sleepMs(String policy, int errors) {
    RetryPolicy.Action action = MultipleLinearRandomRetry.parseCommaSeparated(policy).handleAttemptFailure(() -> errors);
    assertTrue(action.shouldRetry(), policy + " gives up after " + errors + " errors");
    return action.getSleepTime().toLong(TimeUnit.MILLISECONDS);
  }

  @Test
  void backsOffToTheConfiguredMaximumAndStaysThereForever() {
    String policy = SluiceNode.appenderRetryPolicy(500, 1000);
    assertTrue(sleepMs(policy, 1) <= 1);
    assertTrue(sleepMs(policy, 15) >= 50 && sleepMs(policy, 15) <= 150, policy);
    for (int errors : new int[] {31, 1_000, 10_000_000, Integer.MAX_VALUE - 100}) {
      long sleep = sleepMs(policy, errors);
      assertTrue(sleep >= 250 && sleep <= 750, policy + " sleeps " + sleep + " ms after " + errors + " errors");
    }
  }

  @Test
  void neverBacksOffForMoreThanHalfAnElectionTimeout() {
    assertEquals("1ms,10, 100ms,20, 300ms," + Integer.MAX_VALUE, SluiceNode.appenderRetryPolicy(5_000, 600));
    assertEquals("1ms,10, 1ms,20, 1ms," + Integer.MAX_VALUE, SluiceNode.appenderRetryPolicy(0, 1));
  }
}
