package io.sluice.client.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What a client's producers, consumers and admin share: channels, cluster metadata, a timer
 * thread and the client's settings. Immutable holder of thread-safe parts.
 *
 * @param rpc            channels and calls
 * @param metadata       leader and node addresses
 * @param scheduler      single timer thread for delayed retries; tasks must not block
 * @param requestTimeout bound on one RPC attempt
 * @param refreshBackoff least time between metadata refreshes, and first retry backoff of admin calls
 */
public record ClientContext(RpcClient rpc, ClusterMetadata metadata, ScheduledExecutorService scheduler,
    Duration requestTimeout, Duration refreshBackoff) {

  /** Backoff before retry number {@code retries} (1-based): refreshBackoff doubled, capped at 1 s. */
  public long backoffNanos(int retries) {
    return Backoff.nanos(refreshBackoff, retries);
  }
}
