package io.sluice.chaos.checker;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one check. Immutable.
 *
 * @param recoveryTimeMax after the last fault healed (or from the start when no fault is recorded),
 *     a write must be acknowledged within this time; default 30 s
 * @param examplesPerKindMax how many examples the verdict keeps per anomaly kind; default 5
 */
public record CheckerOptions(Duration recoveryTimeMax, int examplesPerKindMax) {

  public static final Duration DEFAULT_RECOVERY_TIME_MAX = Duration.ofSeconds(30);
  public static final int DEFAULT_EXAMPLES_PER_KIND_MAX = 5;

  public CheckerOptions {
    Objects.requireNonNull(recoveryTimeMax, "recoveryTimeMax");
    if (recoveryTimeMax.isNegative() || recoveryTimeMax.isZero()) {
      throw new IllegalArgumentException("recoveryTimeMax must be positive, was " + recoveryTimeMax);
    }
    if (examplesPerKindMax < 0) {
      throw new IllegalArgumentException("examplesPerKindMax must be >= 0, was " + examplesPerKindMax);
    }
  }

  public static CheckerOptions defaults() {
    return new CheckerOptions(DEFAULT_RECOVERY_TIME_MAX, DEFAULT_EXAMPLES_PER_KIND_MAX);
  }

  public CheckerOptions withRecoveryTimeMax(Duration value) {
    return new CheckerOptions(value, examplesPerKindMax);
  }

  public CheckerOptions withExamplesPerKindMax(int value) {
    return new CheckerOptions(recoveryTimeMax, value);
  }
}
