package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void doublesAndCapsAtOneSecond() {
    Duration base = Duration.ofMillis(100);
    assertEquals(100, Backoff.nanos(base, 1) / 1_000_000);
    assertEquals(200, Backoff.nanos(base, 2) / 1_000_000);
    assertEquals(800, Backoff.nanos(base, 4) / 1_000_000);
    assertEquals(1000, Backoff.nanos(base, 5) / 1_000_000);
    assertEquals(1000, Backoff.nanos(base, 1000) / 1_000_000);
  }

  @Test
  void aBaseAboveTheCapIsKept() {
    assertEquals(3000, Backoff.nanos(Duration.ofSeconds(3), 7) / 1_000_000);
  }
}
