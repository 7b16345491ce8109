package io.sluice.client;

import java.util.Objects;

/**
 * A principal's replicated byte-rate quota, like Kafka's user quotas
 * ({@code kafka-configs --alter --entity-type users}): set once for the whole cluster, enforced by
 * each node on the traffic it serves. It takes precedence over the node's configured
 * {@code quota.principal.overrides} and over the defaults. A principal over its rate gets its
 * responses delayed, then {@link ResourceExhaustedException} (QUOTA_EXCEEDED) with a retry delay.
 * Immutable.
 *
 * @param principal              the principal name (1 to 249 characters, no control characters)
 * @param produceBytesPerSecond  request bytes accepted per second per node; 0 unlimited
 * @param fetchBytesPerSecond    record bytes served per second per node (Fetch and Subscribe); 0 unlimited
 */
public record Quota(String principal, long produceBytesPerSecond, long fetchBytesPerSecond) {
  /**
   * Checks the fields (the cluster checks the principal name).
   *
   * @param principal              the principal name
   * @param produceBytesPerSecond  produce rate per node, bytes/s; 0 unlimited
   * @param fetchBytesPerSecond    fetch rate per node, bytes/s; 0 unlimited
   * @throws NullPointerException     if {@code principal} is null
   * @throws IllegalArgumentException if a rate is negative
   */
  public Quota {
    Objects.requireNonNull(principal, "principal");
    if (produceBytesPerSecond < 0 || fetchBytesPerSecond < 0) {
      throw new IllegalArgumentException("quota rates must be >= 0 bytes/s (0 is unlimited), got produce "
          + produceBytesPerSecond + " and fetch " + fetchBytesPerSecond);
    }
  }
}
