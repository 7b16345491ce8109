package io.sluice.node.quota;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.NodeConfig;
import io.sluice.node.security.Principal;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token-bucket arithmetic on a fake clock: exact delays, refusals and overrides. */
class QuotasTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final Principal alice = new Principal("alice");

  private Quotas quotas(long produce, long fetch, Map<String, NodeConfig.QuotaOverride> overrides) {
    return new Quotas(produce, fetch, overrides, 1000, clock::get);
  }

  @Test
  void aBurstOfOneSecondIsFreeThenResponsesWaitForTheExcess() {
    Quotas q = quotas(1000, 0, Map.of());
    assertEquals(0, q.admit(alice, Quotas.Kind.PRODUCE));
    assertEquals(0, q.record(alice, Quotas.Kind.PRODUCE, 1000)); // the full bucket: one second's worth
    assertEquals(500 * MS, q.record(alice, Quotas.Kind.PRODUCE, 500)); // 500 bytes over at 1000 B/s
    clock.addAndGet(500 * MS);
    assertEquals(0, q.debtNanos(alice, Quotas.Kind.PRODUCE), "paid back after 500 ms");
    assertEquals(0, q.admit(alice, Quotas.Kind.PRODUCE));
  }

  @Test
  void delaysAreCappedAtThrottleMaxAndBeyondItRequestsAreRefusedWithTheWait() {
    Quotas q = quotas(1000, 0, Map.of());
    q.record(alice, Quotas.Kind.PRODUCE, 1000);
    assertEquals(1000 * MS, q.record(alice, Quotas.Kind.PRODUCE, 3000), "3 s of excess, delayed 1 s (the max)");
    // 3 s of debt, 1 s may be throttled: refused, to retry in 2 s.
    assertEquals(2000 * MS, q.admit(alice, Quotas.Kind.PRODUCE));
    clock.addAndGet(1999 * MS);
    assertTrue(q.admit(alice, Quotas.Kind.PRODUCE) > 0);
    clock.addAndGet(MS);
    assertEquals(0, q.admit(alice, Quotas.Kind.PRODUCE));
  }

  @Test
  void produceAndFetchAndPrincipalsHaveTheirOwnBuckets() {
    Quotas q = quotas(1000, 1000, Map.of());
    q.record(alice, Quotas.Kind.PRODUCE, 5000);
    assertTrue(q.admit(alice, Quotas.Kind.PRODUCE) > 0);
    assertEquals(0, q.admit(alice, Quotas.Kind.FETCH));
    assertEquals(0, q.admit(new Principal("bob"), Quotas.Kind.PRODUCE));
    assertEquals(0, q.admit(Principal.ANONYMOUS, Quotas.Kind.PRODUCE));
  }

  @Test
  void overridesReplaceTheDefaultAndZeroIsUnlimited() {
    Quotas q = quotas(1000, 1000, Map.of("vip", new NodeConfig.QuotaOverride(0, 0),
        "slow", new NodeConfig.QuotaOverride(10, 1_000_000)));
    Principal vip = new Principal("vip");
    assertEquals(0, q.record(vip, Quotas.Kind.PRODUCE, 1L << 40));
    assertEquals(0, q.admit(vip, Quotas.Kind.PRODUCE));
    assertEquals(Long.MAX_VALUE, q.availableBytes(vip, Quotas.Kind.FETCH));
    Principal slow = new Principal("slow");
    assertEquals(10, q.rate(slow, Quotas.Kind.PRODUCE));
    assertEquals(1_000_000, q.rate(slow, Quotas.Kind.FETCH));
    assertEquals(1000, q.rate(alice, Quotas.Kind.PRODUCE));
    assertEquals(1000 * MS, q.record(slow, Quotas.Kind.PRODUCE, 20), "10 bytes over at 10 B/s");
  }

  @Test
  void withoutQuotasNothingIsTracked() {
    Quotas q = quotas(0, 0, Map.of());
    assertEquals(0, q.record(alice, Quotas.Kind.PRODUCE, Long.MAX_VALUE / 2));
    assertEquals(0, q.admit(alice, Quotas.Kind.PRODUCE));
    assertEquals(Long.MAX_VALUE, q.availableBytes(alice, Quotas.Kind.FETCH));
  }

  @Test
  void configOverridesParseAndBadOnesAreRefusedNamingTheKey() {
    Map<String, String> base = Map.of("node.id", "n1", "data.dir", "/tmp/x", "peers", "n1=127.0.0.1:7170");
    java.util.function.Function<String, NodeConfig> with = v -> {
      Map<String, String> m = new java.util.HashMap<>(base);
      m.put("quota.principal.overrides", v);
      return NodeConfig.of(m);
    };
    assertEquals(Map.of("etl", new NodeConfig.QuotaOverride(10, 0), "r", new NodeConfig.QuotaOverride(0, 5)),
        with.apply("etl:10:0; r:0:5").quotaOverrides());
    for (String bad : new String[] {"etl:10", "etl:x:0", "etl:-1:0", ":1:1", "a:1:1;a:2:2"}) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> with.apply(bad));
      assertTrue(e.getMessage().contains("quota.principal.overrides"), e.getMessage());
    }
  }

  @Test
  void replicatedQuotasComeFirstAndAChangeTakesEffectAtTheNextRequest() {
    java.util.concurrent.atomic.AtomicReference<Map<String, io.sluice.api.v1.QuotaEntry>> replicated =
        new java.util.concurrent.atomic.AtomicReference<>(Map.of());
    // No default and no configured override: inactive until a quota is replicated.
    Quotas q = new Quotas(0, 0, Map.of("alice", new NodeConfig.QuotaOverride(0, 500)), replicated::get, 1000,
        clock::get);
    assertEquals(0, q.record(alice, Quotas.Kind.PRODUCE, 1_000_000));
    assertEquals(500, q.rate(alice, Quotas.Kind.FETCH), "the configured override");
    replicated.set(Map.of("alice", io.sluice.api.v1.QuotaEntry.newBuilder().setPrincipal("alice")
        .setProduceBytesPerSecond(1000).setFetchBytesPerSecond(0).build()));
    assertTrue(q.active());
    assertEquals(1000, q.rate(alice, Quotas.Kind.PRODUCE));
    assertEquals(0, q.rate(alice, Quotas.Kind.FETCH), "the replicated quota replaces the override as a whole");
    assertEquals(0, q.record(alice, Quotas.Kind.PRODUCE, 1000));
    assertEquals(500 * MS, q.record(alice, Quotas.Kind.PRODUCE, 500));
    // Raised at run time: the next request is metered at the new rate, with a fresh bucket.
    replicated.set(Map.of("alice", io.sluice.api.v1.QuotaEntry.newBuilder().setPrincipal("alice")
        .setProduceBytesPerSecond(10_000).build()));
    assertEquals(0, q.admit(alice, Quotas.Kind.PRODUCE));
    assertEquals(0, q.record(alice, Quotas.Kind.PRODUCE, 10_000));
    assertEquals(100 * MS, q.record(alice, Quotas.Kind.PRODUCE, 1000));
    // Removed: back to the configuration (unlimited produce for alice).
    replicated.set(Map.of());
    assertEquals(0, q.record(alice, Quotas.Kind.PRODUCE, 1_000_000));
    assertEquals(0, q.admit(alice, Quotas.Kind.PRODUCE));
    // With no quota configured at all, a replicated one alone turns metering on.
    Quotas none = new Quotas(0, 0, Map.of(), replicated::get, 1000, clock::get);
    assertEquals(0, none.record(alice, Quotas.Kind.PRODUCE, 5000));
    replicated.set(Map.of("alice", io.sluice.api.v1.QuotaEntry.newBuilder().setPrincipal("alice")
        .setProduceBytesPerSecond(1000).build()));
    assertEquals(0, none.record(alice, Quotas.Kind.PRODUCE, 1000));
    assertEquals(500 * MS, none.record(alice, Quotas.Kind.PRODUCE, 500));
  }
}
