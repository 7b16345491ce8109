package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DrainTrackerTest {

  private static DrainTracker<String> tracker() {
    Map<String, Long> start = new LinkedHashMap<>();
    start.put("t-0", 0L);
    start.put("t-1", 5L);
    start.put("t-2", 7L);
    Map<String, Long> end = new LinkedHashMap<>();
    end.put("t-0", 10L);
    end.put("t-1", 6L);
    end.put("t-2", 7L);
    return new DrainTracker<>(start, end);
  }

  @Test
  void recordsAtOrPastTheEndOffsetAreNotInTheSnapshot() {
    DrainTracker<String> tracker = tracker();
    assertTrue(tracker.include("t-0", 9));
    assertFalse(tracker.include("t-0", 10));
    assertFalse(tracker.include("t-1", 6));
    assertFalse(tracker.include("t-9", 0));
  }

  @Test
  void drainedOnlyWhenEveryPartitionReachedItsEnd() {
    DrainTracker<String> tracker = tracker();
    assertTrue(tracker.isDrained("t-2"), "an empty range is drained from the start");
    assertFalse(tracker.drained());

    assertTrue(tracker.observe("t-0", 10));
    assertFalse(tracker.drained());
    assertTrue(tracker.observe("t-1", 8));
    assertTrue(tracker.drained());
  }

  @Test
  void observeReportsProgressOnlyWhenThePositionMovesForward() {
    DrainTracker<String> tracker = tracker();
    assertFalse(tracker.observe("t-0", 0));
    assertTrue(tracker.observe("t-0", 3));
    assertFalse(tracker.observe("t-0", 2));
    assertFalse(tracker.observe("t-0", 3));
  }

  @Test
  void describesWhatIsLeftInOrder() {
    DrainTracker<String> tracker = tracker();
    tracker.observe("t-0", 4);
    assertEquals("t-0 at 4 of 10, t-1 at 5 of 6", tracker.describeRemaining(p -> p));
  }
}
