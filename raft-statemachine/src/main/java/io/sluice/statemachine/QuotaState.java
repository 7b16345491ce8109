package io.sluice.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.QuotaEntry;
import io.sluice.internal.v1.CommandResult;
import io.sluice.internal.v1.QuotaRemoved;
import io.sluice.internal.v1.RemoveQuota;
import io.sluice.internal.v1.SetQuota;
import java.util.Map;
import java.util.TreeMap;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The quota part of the replicated state: per-principal produce and fetch byte rates, stored under
 * {@link Keys#QUOTA} (so snapshots carry them). Applies {@link SetQuota} and {@link RemoveQuota}
 * deterministically: the limit comes stamped in the command, nothing reads a clock.
 *
 * <p>Thread-safety: the applying thread writes (through {@link LogCore.Effects}, after the entry's
 * WriteBatch is written); any thread reads {@link #quotas()}, an immutable map swapped as a whole
 * (so a reader on the request path does one volatile read, never a RocksDB read).
 */
final class QuotaState {
  private volatile Map<String, QuotaEntry> quotas = Map.of();

  void clear() {
    quotas = Map.of();
  }

  void load(RocksDB db) throws InvalidProtocolBufferException {
    Map<String, QuotaEntry> out = new TreeMap<>();
    try (RocksIterator it = db.newIterator()) {
      for (it.seek(Keys.kind(Keys.QUOTA)); it.isValid() && it.key()[0] == Keys.QUOTA; it.next()) {
        QuotaEntry q = QuotaEntry.parseFrom(it.value());
        Invariants.check(!q.getPrincipal().isEmpty() && q.getProduceBytesPerSecond() >= 0
            && q.getFetchBytesPerSecond() >= 0, "stored quota %s is invalid", q);
        out.put(q.getPrincipal(), q);
      }
    }
    quotas = java.util.Collections.unmodifiableMap(out);
  }

  CommandResult set(SetQuota c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    QuotaEntry q = c.getQuota();
    if (!quotas.containsKey(q.getPrincipal()) && quotas.size() >= c.getQuotasMax()) {
      return LogCore.error(ErrorReason.TOO_MANY_QUOTAS, "the cluster already holds " + quotas.size()
          + " quotas (quota.overrides.max " + c.getQuotasMax() + "); remove unused ones");
    }
    batch.put(Keys.quota(q.getPrincipal()), q.toByteArray());
    fx.quotasPut.put(q.getPrincipal(), q);
    return LogCore.ok();
  }

  CommandResult remove(RemoveQuota c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    boolean present = quotas.containsKey(c.getPrincipal());
    if (present) {
      batch.delete(Keys.quota(c.getPrincipal()));
      fx.quotasRemoved.add(c.getPrincipal());
    }
    return CommandResult.newBuilder().setQuotaRemoved(QuotaRemoved.newBuilder().setRemoved(present)).build();
  }

  void publish(LogCore.Effects fx) {
    if (fx.quotasPut.isEmpty() && fx.quotasRemoved.isEmpty()) {
      return;
    }
    Map<String, QuotaEntry> next = new TreeMap<>(quotas);
    next.putAll(fx.quotasPut);
    fx.quotasRemoved.forEach(next::remove);
    quotas = java.util.Collections.unmodifiableMap(next);
  }

  /** Sorted by principal, immutable. */
  Map<String, QuotaEntry> quotas() {
    return quotas;
  }
}
