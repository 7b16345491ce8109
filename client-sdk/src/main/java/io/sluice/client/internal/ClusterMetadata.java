package io.sluice.client.internal;

import io.sluice.api.v1.DescribeClusterRequest;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.client.ClusterInfo;
import io.sluice.client.NodeInfo;
import io.sluice.client.SluiceException;
import io.sluice.client.UnavailableException;
import io.sluice.client.WriteOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client's view of the cluster: the leader's client address and every known node address
 * (bootstrap plus those learned from DescribeCluster).
 *
 * <p>A refresh asks every known address at once and takes the first answer that names a leader
 * with a known client address (or, when none does, any answer), so one dead or slow node does not
 * delay it. Refreshes are coalesced and spaced at least refreshBackoff apart. A leader hint from
 * a NOT_LEADER error is used at once, without a refresh.
 *
 * <p>Thread-safe.
 */
public final class ClusterMetadata {
  private final RpcClient rpc;
  private final Duration requestTimeout;
  private final Duration refreshBackoff;
  private final ScheduledExecutorService scheduler;

  private final Object lock = new Object();
  private final Set<String> addresses; // guarded by lock
  private CompletableFuture<ClusterInfo> inFlight; // guarded by lock
  private long nextRefreshNanos; // guarded by lock
  private volatile String leaderAddress;

  public ClusterMetadata(RpcClient rpc, List<String> bootstrap, Duration requestTimeout,
      Duration refreshBackoff, ScheduledExecutorService scheduler) {
    this.rpc = rpc;
    this.addresses = new LinkedHashSet<>(bootstrap);
    this.requestTimeout = requestTimeout;
    this.refreshBackoff = refreshBackoff;
    this.scheduler = scheduler;
    this.nextRefreshNanos = System.nanoTime();
  }

  /** The leader's client address, or null when not known (a refresh may find it). */
  public String leaderAddress() {
    return leaderAddress;
  }

  /** Every known client address, the leader's first when known. */
  public List<String> addresses() {
    List<String> out = new ArrayList<>();
    String leader = leaderAddress;
    if (leader != null) {
      out.add(leader);
    }
    synchronized (lock) {
      for (String a : addresses) {
        if (!a.equals(leader)) {
          out.add(a);
        }
      }
    }
    return out;
  }

  /** Uses a leader address learned from a NOT_LEADER error at once. Ignores a malformed one. */
  public void leaderHint(String address) {
    String checked = checkedOrNull(address);
    if (checked != null) {
      synchronized (lock) {
        addresses.add(checked);
      }
      leaderAddress = checked;
    }
  }

  /**
   * Notes that {@code address} failed (unreachable, not leader, no leader): forgets it as the
   * leader if it was, and starts a refresh.
   */
  public void nodeFailed(String address) {
    String leader = leaderAddress;
    if (leader != null && leader.equals(address)) {
      leaderAddress = null;
    }
    refresh();
  }

  /** Refreshes unless one ran less than refreshBackoff ago (then waits that long first). */
  public CompletableFuture<ClusterInfo> refresh() {
    return refresh(false);
  }

  /** Refreshes now (joining a refresh already under way); for describeCluster. */
  public CompletableFuture<ClusterInfo> refreshNow() {
    return refresh(true);
  }

  private CompletableFuture<ClusterInfo> refresh(boolean now) {
    CompletableFuture<ClusterInfo> f;
    long delayNanos;
    synchronized (lock) {
      if (inFlight != null) {
        return inFlight;
      }
      f = new CompletableFuture<>();
      inFlight = f;
      delayNanos = now ? 0 : Math.max(0, nextRefreshNanos - System.nanoTime());
    }
    Runnable run = () -> describeAll().whenComplete((info, e) -> finish(f, info, e));
    try {
      if (delayNanos == 0) {
        run.run();
      } else {
        scheduler.schedule(run, delayNanos, TimeUnit.NANOSECONDS);
      }
    } catch (RejectedExecutionException e) {
      finish(f, null, RpcClient.closedError(WriteOutcome.NOT_A_WRITE, e));
    }
    return f;
  }

  private void finish(CompletableFuture<ClusterInfo> f, ClusterInfo info, Throwable e) {
    synchronized (lock) {
      inFlight = null;
      nextRefreshNanos = System.nanoTime() + refreshBackoff.toNanos();
      if (info != null) {
        for (NodeInfo n : info.nodes()) {
          String a = checkedOrNull(n.clientAddress());
          if (a != null) {
            addresses.add(a);
          }
        }
      }
    }
    if (info != null) {
      leaderAddress = leaderAddressOf(info);
      f.complete(info);
    } else {
      f.completeExceptionally(ErrorMapper.unwrap(e));
    }
  }

  private CompletableFuture<ClusterInfo> describeAll() {
    List<String> targets = addresses();
    CompletableFuture<ClusterInfo> out = new CompletableFuture<>();
    AtomicInteger pending = new AtomicInteger(targets.size());
    AtomicReference<ClusterInfo> leaderless = new AtomicReference<>();
    AtomicReference<Throwable> lastError = new AtomicReference<>();
    for (String a : targets) {
      rpc.call(a, SluiceMethods.DESCRIBE_CLUSTER, DescribeClusterRequest.getDefaultInstance(),
          requestTimeout, false).whenComplete((resp, err) -> {
            if (resp != null) {
              ClusterInfo info = toInfo(resp);
              if (leaderAddressOf(info) != null) {
                out.complete(info);
              } else {
                leaderless.compareAndSet(null, info);
              }
            } else {
              lastError.set(err);
            }
            if (pending.decrementAndGet() == 0) {
              if (leaderless.get() != null) {
                out.complete(leaderless.get());
              } else {
                Throwable last = lastError.get();
                if (last instanceof SluiceException se && !se.retriable() && se.code() == io.grpc.Status.Code.UNAVAILABLE
                    && se.reason() == null) {
                  out.completeExceptionally(se); // e.g. a TLS handshake failure: retrying cannot help
                  return;
                }
                out.completeExceptionally(new UnavailableException("no node answered DescribeCluster (tried "
                    + targets + "); last error: " + (last == null ? "none" : last.getMessage()),
                    last instanceof SluiceException se ? se.reason() : null, WriteOutcome.NOT_A_WRITE, last));
              }
            }
          });
    }
    return out;
  }

  public static ClusterInfo toInfo(DescribeClusterResponse resp) {
    List<NodeInfo> nodes = new ArrayList<>();
    for (io.sluice.api.v1.NodeInfo n : resp.getNodesList()) {
      nodes.add(new NodeInfo(n.getId(), n.getRaftAddress(), n.getClientAddress(), n.getListener()));
    }
    return new ClusterInfo(resp.getClusterId(), resp.getLeaderId().isEmpty() ? null : resp.getLeaderId(), nodes);
  }

  private static String leaderAddressOf(ClusterInfo info) {
    if (info.leaderId() == null) {
      return null;
    }
    for (NodeInfo n : info.nodes()) {
      if (n.id().equals(info.leaderId())) {
        return checkedOrNull(n.clientAddress());
      }
    }
    return null;
  }

  private static String checkedOrNull(String address) {
    if (address == null || address.isEmpty()) {
      return null;
    }
    try {
      return Addresses.check(address);
    } catch (IllegalArgumentException e) {
      return null; // a node advertising garbage is skipped, not fatal
    }
  }
}
