package io.sluice.statemachine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots as RocksDB checkpoints: one directory {@code snapshot.<term>_<index>} per snapshot
 * inside Ratis's state-machine directory, which holds nothing else. Ratis ships a snapshot's
 * files to a lagging follower and, on that follower, replaces this whole directory with what it
 * received; {@link SluiceStateMachine#reinitialize} then loads it.
 *
 * <p>Thread-safety: {@link #take} and {@link #reload} run on the state-machine updater thread;
 * {@link #getLatestSnapshot} may be read from any thread.
 */
final class SnapshotStore implements StateMachineStorage {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
  private static final Pattern NAME = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");

  /** How many snapshots to keep; more than one so a transfer in progress keeps its files. */
  private final int retainedMax;
  /** Told the index and duration of every snapshot taken (for metrics); runs on the taking thread. */
  private final Taken taken;
  private File dir;
  private volatile Snapshot latest;

  record Snapshot(TermIndex termIndex, Path dir, FileListSnapshotInfo info) {}

  /** Receives each snapshot taken: the index it covers and how long it took. */
  @FunctionalInterface
  interface Taken {
    void onTaken(long index, Duration took);
  }

  SnapshotStore(int retainedMax, Taken taken) {
    this.retainedMax = retainedMax;
    this.taken = taken;
  }

  @Override
  public void init(RaftStorage raftStorage) throws IOException {
    dir = raftStorage.getStorageDir().getStateMachineDir();
    Files.createDirectories(dir.toPath());
    try (Stream<Path> children = Files.list(dir.toPath())) {
      for (Path p : (Iterable<Path>) children::iterator) {
        if (p.getFileName().toString().endsWith(".tmp")) {
          FileTrees.deleteRecursively(p); // an interrupted checkpoint
        }
      }
    }
    reload();
  }

  /** Re-reads the directory (after start, or after Ratis installed a snapshot into it). */
  void reload() throws IOException {
    latest = list().stream().findFirst().orElse(null);
  }

  /** Snapshots on disk, newest first. */
  private List<Snapshot> list() throws IOException {
    List<Snapshot> out = new ArrayList<>();
    if (!dir.exists()) {
      return out;
    }
    try (Stream<Path> children = Files.list(dir.toPath())) {
      for (Path p : (Iterable<Path>) children::iterator) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (Files.isDirectory(p) && m.matches()) {
          TermIndex ti = TermIndex.valueOf(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
          out.add(new Snapshot(ti, p, new FileListSnapshotInfo(files(p), ti)));
        }
      }
    }
    out.sort(Comparator.comparing(Snapshot::termIndex).reversed());
    return out;
  }

  private static List<FileInfo> files(Path snapshotDir) throws IOException {
    List<FileInfo> files = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(snapshotDir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(".md5")) {
          files.add(new FileInfo(p.toAbsolutePath(), null)); // Ratis digests while it streams
        }
      }
    }
    files.sort(Comparator.comparing(f -> f.getPath().toString()));
    return files;
  }

  int retainedMax() {
    return retainedMax;
  }

  Optional<Snapshot> latest() {
    return Optional.ofNullable(latest);
  }

  /** Checkpoints {@code core} as the snapshot for {@code termIndex}; the core must be at exactly that index. */
  Snapshot take(LogCore core, TermIndex termIndex) throws IOException {
    long startNanos = System.nanoTime();
    String name = "snapshot." + termIndex.getTerm() + "_" + termIndex.getIndex();
    Path tmp = dir.toPath().resolve(name + ".tmp");
    Path target = dir.toPath().resolve(name);
    FileTrees.deleteRecursively(tmp);
    core.checkpoint(tmp);
    Files.move(tmp, target);
    reload();
    Invariants.check(latest != null && latest.termIndex().equals(termIndex),
        "snapshot %s not found after taking it (latest %s)", termIndex, latest);
    deleteOld();
    Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
    LOG.info("took snapshot {} ({} files) in {} ms", termIndex, latest.info().getFiles().size(), took.toMillis());
    taken.onTaken(termIndex.getIndex(), took);
    return latest;
  }

  private void deleteOld() throws IOException {
    List<Snapshot> all = list();
    for (int i = retainedMax; i < all.size(); i++) {
      FileTrees.deleteRecursively(all.get(i).dir());
    }
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    Snapshot s = latest;
    return s == null ? null : s.info();
  }

  @Override
  public void format() {
    // Nothing to format: the directory is created in init.
  }

  @Override
  public void cleanupOldSnapshots(SnapshotRetentionPolicy policy) throws IOException {
    deleteOld();
  }

  @Override
  public File getSnapshotDir() {
    return dir;
  }
}
