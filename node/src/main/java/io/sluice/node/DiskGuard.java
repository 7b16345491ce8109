package io.sluice.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Refuses writes while the data directory's free space is under a floor, before the disk is
 * actually full: a full disk under RocksDB or the Raft log would stop the node for everyone.
 * Reads are never refused. Thread-safe.
 */
public final class DiskGuard {
  private final long freeBytesMin;
  private final LongSupplier freeBytes;

  public DiskGuard(long freeBytesMin, LongSupplier freeBytes) {
    this.freeBytesMin = freeBytesMin;
    this.freeBytes = freeBytes;
  }

  /**
   * Free space of the file store holding {@code dir}. The file store is looked up once (that reads
   * the mount table, which cost about 3 % of a leader's CPU when it was done for every produce
   * request) and then asked for its free space, one {@code statvfs} of {@code dir}, on each call.
   * A failed lookup is retried on the next call.
   */
  public static LongSupplier usableSpaceOf(Path dir) {
    AtomicReference<FileStore> store = new AtomicReference<>();
    return () -> {
      try {
        FileStore s = store.get();
        if (s == null) {
          s = Files.getFileStore(dir);
          store.set(s);
        }
        return s.getUsableSpace();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  /** Null when writes may go ahead, otherwise why not. */
  public String refusal() {
    long free = freeBytes.getAsLong();
    if (free < freeBytesMin) {
      return "disk nearly full: " + free + " bytes free in the data directory, below disk.free.bytes.min "
          + freeBytesMin + "; writes are refused until space is freed, reads still work";
    }
    return null;
  }
}
