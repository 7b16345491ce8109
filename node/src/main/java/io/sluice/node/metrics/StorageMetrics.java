package io.sluice.node.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.node.DiskGuard;
import io.sluice.node.SluiceNode;
import io.sluice.statemachine.LogCore;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * RocksDB size and compaction gauges (read from RocksDB's properties when scraped) and the free
 * space of the data directory. NaN while the database is being replaced or is closed.
 * Stateless apart from the registry; thread-safe.
 */
final class StorageMetrics {
  private StorageMetrics() {}

  static void bind(MeterRegistry registry, SluiceNode node, Path dataDir) {
    rocksDb(registry, node, "sluice.rocksdb.sst.files.size", "bytes", "rocksdb.total-sst-files-size",
        "Size of all SST files");
    rocksDb(registry, node, "sluice.rocksdb.live.data.size", "bytes", "rocksdb.estimate-live-data-size",
        "Estimated size of the live data");
    rocksDb(registry, node, "sluice.rocksdb.memtables.size", "bytes", "rocksdb.cur-size-all-mem-tables",
        "Size of the memtables (not yet flushed)");
    rocksDb(registry, node, "sluice.rocksdb.pending.compaction", "bytes", "rocksdb.estimate-pending-compaction-bytes",
        "Estimated bytes compaction must rewrite to settle the tree");
    rocksDb(registry, node, "sluice.rocksdb.compaction.pending", null, "rocksdb.compaction-pending",
        "1 when at least one compaction is pending");
    rocksDb(registry, node, "sluice.rocksdb.running.compactions", null, "rocksdb.num-running-compactions",
        "Compactions running now");
    rocksDb(registry, node, "sluice.rocksdb.running.flushes", null, "rocksdb.num-running-flushes",
        "Memtable flushes running now");
    rocksDb(registry, node, "sluice.rocksdb.estimated.keys", null, "rocksdb.estimate-num-keys",
        "Estimated number of keys");
    LongSupplier free = DiskGuard.usableSpaceOf(dataDir);
    Gauge.builder("sluice.data.dir.free", free, f -> {
      try {
        return f.getAsLong();
      } catch (RuntimeException e) {
        return Double.NaN;
      }
    }).baseUnit("bytes").description("Usable space on the file system of data.dir").strongReference(true)
        .register(registry);
  }

  private static void rocksDb(MeterRegistry registry, SluiceNode node, String name, String unit, String property,
      String description) {
    Gauge.builder(name, node, n -> {
      LogCore core = n.core();
      OptionalLong value = core == null ? OptionalLong.empty() : core.longProperty(property);
      return value.isPresent() ? value.getAsLong() : Double.NaN;
    }).baseUnit(unit).description(description + " (RocksDB " + property + ")").strongReference(true)
        .register(registry);
  }
}
