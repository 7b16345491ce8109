package io.sluice.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.protocol.TopicNames;
import org.junit.jupiter.api.Test;

/**
 * The chaos suite arrives with its own issue. Until then this module only proves it builds
 * against the SDK, and that the SDK's shared validation is on its classpath.
 */
class PlaceholderTest {
  @Test
  void sdkIsOnTheClasspath() {
    assertEquals("topic name is empty", TopicNames.problem(""));
  }
}
