package io.sluice.node.quota;

import io.sluice.node.NodeConfig;
import io.sluice.node.security.Principal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import io.sluice.api.v1.QuotaEntry;

/**
 * Per-principal produce and fetch byte-rate quotas of one node, Kafka-style: each node meters the
 * traffic it serves itself (nothing is shared between nodes), with one token bucket per principal
 * and direction.
 *
 * <p>A bucket fills at the principal's rate (bytes/s) up to one second's worth (the burst an idle
 * principal may send at once). Served bytes are taken out, and may drive it negative: the debt is
 * what the principal sent beyond its rate, and {@code debt / rate} is how long it takes to pay back.
 * A request is <em>throttled</em>, its response delayed by that time (at most
 * {@code quota.throttle.max.ms}), so a client waiting for its responses falls back to the rate. A
 * request arriving while the debt already needs more than {@code quota.throttle.max.ms} to pay back
 * is <em>refused</em> ({@link #admit} answers the wait before a retry can be admitted), so a client
 * that does not wait (many requests in flight) cannot run the debt up without bound: what a
 * principal gets served is at most rate × time + one second's burst + rate × throttle max + one
 * request.
 *
 * <p>A principal's rates come from, in order: its replicated quota (set at run time with
 * {@code sluice quota set}, the same on every node once applied), else its
 * {@code quota.principal.overrides} entry in this node's configuration, else the defaults. A
 * changed rate takes effect at the principal's next request (its bucket is replaced, forgetting its
 * debt).
 *
 * <p>With authentication off every call is {@link Principal#ANONYMOUS}, so a quota then limits all
 * clients of the node together. A rate of 0 is unlimited; with every rate 0 nothing is tracked.
 *
 * <p>Thread-safe: each bucket is updated under its own lock, in O(1) (the produce path takes one
 * uncontended lock per request per principal).
 */
public final class Quotas {
  /** Which traffic a quota meters. */
  public enum Kind { PRODUCE, FETCH }

  /** Principals tracked at most; idle (full) buckets are dropped beyond it. */
  static final int BUCKETS_MAX = 100_000;

  private final long produceDefault;
  private final long fetchDefault;
  private final Map<String, NodeConfig.QuotaOverride> overrides;
  private final Supplier<Map<String, QuotaEntry>> replicated;
  private final long throttleMaxNanos;
  private final LongSupplier nanoClock;
  private final boolean anyConfiguredQuota;
  private final Map<String, Bucket> produceBuckets = new ConcurrentHashMap<>();
  private final Map<String, Bucket> fetchBuckets = new ConcurrentHashMap<>();
  /** Per kind (ordinal): time responses were held back, ns; requests refused. For metrics. */
  private final java.util.concurrent.atomic.LongAdder[] throttledNanos = adders();
  private final java.util.concurrent.atomic.LongAdder[] refused = adders();

  private static java.util.concurrent.atomic.LongAdder[] adders() {
    return new java.util.concurrent.atomic.LongAdder[] {
        new java.util.concurrent.atomic.LongAdder(), new java.util.concurrent.atomic.LongAdder()};
  }

  /**
   * Publishes {@code sluice_quota_throttle_seconds_total{kind}} (time answers and Subscribe sends
   * were held back) and {@code sluice_quota_refused_total{kind}} (requests refused with QUOTA_EXCEEDED).
   * Not per principal: principals are unbounded, series must not be.
   */
  public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    for (Kind k : Kind.values()) {
      String kind = k.name().toLowerCase(java.util.Locale.ROOT);
      io.micrometer.core.instrument.FunctionCounter.builder("sluice.quota.throttle", throttledNanos[k.ordinal()],
              a -> a.sum() / 1e9)
          .baseUnit("seconds").tag("kind", kind)
          .description("Time responses (and Subscribe sends) were held back for principals over their quota")
          .register(registry);
      io.micrometer.core.instrument.FunctionCounter.builder("sluice.quota.refused", refused[k.ordinal()],
              java.util.concurrent.atomic.LongAdder::sum)
          .tag("kind", kind).description("Requests refused with QUOTA_EXCEEDED")
          .register(registry);
    }
  }

  /** Counts a Subscribe pause of {@code nanos} in the throttle metric. */
  public void notePause(Kind kind, long nanos) {
    throttledNanos[kind.ordinal()].add(nanos);
  }

  /**
   * @param produceDefault   bytes/s of a principal without override; 0 unlimited
   * @param fetchDefault     bytes/s of a principal without override; 0 unlimited
   * @param overrides        per-principal rates replacing the defaults
   * @param throttleMaxMs    longest delay; beyond it a request is refused
   * @param nanoClock        monotonic clock (System::nanoTime; tests inject)
   */
  public Quotas(long produceDefault, long fetchDefault, Map<String, NodeConfig.QuotaOverride> overrides,
      long throttleMaxMs, LongSupplier nanoClock) {
    this(produceDefault, fetchDefault, overrides, Map::of, throttleMaxMs, nanoClock);
  }

  /**
   * @param replicated  the replicated quotas by principal, read on every request: must be O(1) and
   *                    never block (the applied state's immutable map); takes precedence over overrides
   */
  public Quotas(long produceDefault, long fetchDefault, Map<String, NodeConfig.QuotaOverride> overrides,
      Supplier<Map<String, QuotaEntry>> replicated, long throttleMaxMs, LongSupplier nanoClock) {
    this.produceDefault = produceDefault;
    this.fetchDefault = fetchDefault;
    this.overrides = Map.copyOf(overrides);
    this.replicated = replicated;
    this.throttleMaxNanos = TimeUnit.MILLISECONDS.toNanos(throttleMaxMs);
    this.nanoClock = nanoClock;
    this.anyConfiguredQuota = produceDefault > 0 || fetchDefault > 0 || overrides.values().stream()
        .anyMatch(o -> o.produceBytesPerSecond() > 0 || o.fetchBytesPerSecond() > 0);
  }

  /** The quotas a node's configuration describes, with the replicated ones read from {@code replicated}. */
  public static Quotas of(NodeConfig config, Supplier<Map<String, QuotaEntry>> replicated) {
    return new Quotas(config.getLong(NodeConfig.QUOTA_PRODUCE_BYTES_PER_SECOND),
        config.getLong(NodeConfig.QUOTA_FETCH_BYTES_PER_SECOND), config.quotaOverrides(), replicated,
        config.getLong(NodeConfig.QUOTA_THROTTLE_MAX_MS), System::nanoTime);
  }

  /**
   * Whether any quota is configured or replicated; when not, callers skip the accounting altogether.
   * (A replicated quota of 0/0 makes this true without limiting anyone: rate() still answers 0.)
   */
  public boolean active() {
    return anyConfiguredQuota || !replicated.get().isEmpty();
  }

  /** The rate of {@code principal} for {@code kind}, bytes/s; 0 unlimited. */
  public long rate(Principal principal, Kind kind) {
    QuotaEntry q = replicated.get().get(principal.name());
    if (q != null) {
      return kind == Kind.PRODUCE ? q.getProduceBytesPerSecond() : q.getFetchBytesPerSecond();
    }
    NodeConfig.QuotaOverride o = overrides.get(principal.name());
    if (kind == Kind.PRODUCE) {
      return o != null ? o.produceBytesPerSecond() : produceDefault;
    }
    return o != null ? o.fetchBytesPerSecond() : fetchDefault;
  }

  /** The longest delay a throttled response gets, ns. */
  public long throttleMaxNanos() {
    return throttleMaxNanos;
  }

  /**
   * Whether a request of {@code principal} may be served now: 0 if so, otherwise how long (ns, at
   * least 1 ms) until its debt is small enough that it would be (the retry delay to send back).
   */
  public long admit(Principal principal, Kind kind) {
    Bucket b = bucket(principal, kind);
    if (b == null) {
      return 0;
    }
    long wait = b.debtNanos(nanoClock.getAsLong()) - throttleMaxNanos;
    if (wait <= 0) {
      return 0;
    }
    refused[kind.ordinal()].increment();
    return Math.max(wait, TimeUnit.MILLISECONDS.toNanos(1));
  }

  /**
   * Counts {@code bytes} served to {@code principal} and answers how long (ns, 0 to throttle max)
   * its response should be delayed so that its traffic fits the rate.
   */
  public long record(Principal principal, Kind kind, long bytes) {
    Bucket b = bucket(principal, kind);
    if (b == null) {
      return 0;
    }
    long delay = Math.min(b.take(bytes, nanoClock.getAsLong()), throttleMaxNanos);
    if (delay > 0) {
      throttledNanos[kind.ordinal()].add(delay);
    }
    return delay;
  }

  /** How long (ns) {@code principal} must wait before more {@code kind} traffic fits its rate; 0 none. */
  public long debtNanos(Principal principal, Kind kind) {
    Bucket b = bucket(principal, kind);
    return b == null ? 0 : b.debtNanos(nanoClock.getAsLong());
  }

  /**
   * Bytes {@code principal} may take now without going over its rate (Long.MAX_VALUE when
   * unlimited): a stream sizes its next read by it, so one send cannot carry far more than the rate.
   */
  public long availableBytes(Principal principal, Kind kind) {
    Bucket b = bucket(principal, kind);
    return b == null ? Long.MAX_VALUE : b.available(nanoClock.getAsLong());
  }

  private Bucket bucket(Principal principal, Kind kind) {
    if (!active()) {
      return null;
    }
    long rate = rate(principal, kind);
    if (rate <= 0) {
      return null;
    }
    Map<String, Bucket> buckets = kind == Kind.PRODUCE ? produceBuckets : fetchBuckets;
    Bucket b = buckets.get(principal.name());
    if (b == null) {
      if (buckets.size() >= BUCKETS_MAX) {
        long now = nanoClock.getAsLong();
        buckets.values().removeIf(x -> x.idle(now)); // a full bucket holds nothing a new one would not
      }
      b = buckets.computeIfAbsent(principal.name(), n -> new Bucket(rate, nanoClock.getAsLong()));
    }
    if (b.bytesPerSecond != rate) {
      // The principal's quota changed (set or removed at run time): meter it at the new rate from now.
      b = buckets.compute(principal.name(),
          (n, old) -> old != null && old.bytesPerSecond == rate ? old : new Bucket(rate, nanoClock.getAsLong()));
    }
    return b;
  }

  /** One principal's token bucket for one kind of traffic. Thread-safe (synchronized, O(1)). */
  static final class Bucket {
    final long bytesPerSecond;
    private final double ratePerNano;
    private final double capacity;
    private double tokens;
    private long lastNanos;

    Bucket(long bytesPerSecond, long nowNanos) {
      this.bytesPerSecond = bytesPerSecond;
      this.ratePerNano = bytesPerSecond / 1e9;
      this.capacity = bytesPerSecond; // one second's burst
      this.tokens = capacity;
      this.lastNanos = nowNanos;
    }

    private void refill(long nowNanos) {
      long elapsed = nowNanos - lastNanos;
      if (elapsed > 0) {
        tokens = Math.min(capacity, tokens + elapsed * ratePerNano);
        lastNanos = nowNanos;
      }
    }

    synchronized long take(long bytes, long nowNanos) {
      refill(nowNanos);
      tokens -= bytes;
      return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / ratePerNano);
    }

    synchronized long debtNanos(long nowNanos) {
      refill(nowNanos);
      return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / ratePerNano);
    }

    synchronized long available(long nowNanos) {
      refill(nowNanos);
      return tokens <= 0 ? 0 : (long) tokens;
    }

    synchronized boolean idle(long nowNanos) {
      refill(nowNanos);
      return tokens >= capacity;
    }
  }
}
