package io.sluice.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis adapter: parses {@link Command}s, rejects bad ones before they enter the log
 * ({@link #startTransaction}), and hands committed ones to the deterministic {@link LogCore}.
 *
 * <p>Invariant kept at every step: the core's stored applied index equals what this class
 * reports to Ratis as last applied, and the latest snapshot never covers more than that.
 * On start, a database that is ahead of the latest snapshot (it flushed after the snapshot) is
 * snapshotted at once, so Ratis resumes replay exactly after it.
 */
public final class SluiceStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(SluiceStateMachine.class);

  private final Path dbDir;
  private final CommandValidator validator;
  private final SnapshotStore snapshots;
  private final List<AppendListener> listeners = new CopyOnWriteArrayList<>();
  private volatile LogCore core;

  /**
   * @param dbDir        where the live RocksDB lives (outside Ratis's storage, which a snapshot
   *                     install replaces wholesale)
   * @param limits       checked before proposing
   * @param snapshotsRetained how many snapshots to keep on disk (at least 1)
   */
  public SluiceStateMachine(Path dbDir, Limits limits, int snapshotsRetained) {
    this.dbDir = dbDir;
    this.validator = new CommandValidator(limits);
    this.snapshots = new SnapshotStore(Math.max(1, snapshotsRetained));
  }

  /** The core, for reads. Valid after {@link #initialize}. */
  public LogCore core() {
    return core;
  }

  public void addAppendListener(AppendListener listener) {
    listeners.add(listener);
  }

  /** Index covered by the latest snapshot on disk, or -1. */
  public long latestSnapshotIndex() {
    return snapshots.latest().map(s -> s.termIndex().getIndex()).orElse(-1L);
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    super.initialize(server, groupId, storage);
    snapshots.init(storage);
    core = LogCore.open(dbDir);
    reconcileWithSnapshot();
  }

  private void reconcileWithSnapshot() throws IOException {
    Optional<SnapshotStore.Snapshot> latest = snapshots.latest();
    long snapshotIndex = latest.map(s -> s.termIndex().getIndex()).orElse(-1L);
    LogCore.AppliedIndex applied = core.applied();
    if (applied.index() < snapshotIndex) {
      // A snapshot was installed from the leader but not yet loaded (or the database was lost).
      LOG.info("database at index {} is behind snapshot {}; loading the snapshot", applied.index(), snapshotIndex);
      core.replaceWith(latest.get().dir());
      applied = core.applied();
      Invariants.check(applied.index() == snapshotIndex, "snapshot %d holds applied index %d",
          snapshotIndex, applied.index());
    } else if (applied.index() > snapshotIndex) {
      // The database flushed entries after the latest snapshot: snapshot it now so Ratis replays
      // exactly what the database lacks.
      snapshots.take(core, TermIndex.valueOf(applied.term(), applied.index()));
    }
    if (applied.index() >= 0) {
      setLastAppliedTermIndex(TermIndex.valueOf(applied.term(), applied.index()));
    }
    LOG.info("state machine ready at applied index {} (snapshot {})", applied.index(), latestSnapshotIndex());
  }

  @Override
  public void reinitialize() throws IOException {
    snapshots.reload();
    SnapshotStore.Snapshot latest = snapshots.latest()
        .orElseThrow(() -> new IOException("reinitialize: no snapshot in " + snapshots.getSnapshotDir()));
    LOG.info("loading installed snapshot {}", latest.termIndex());
    core.replaceWith(latest.dir());
    LogCore.AppliedIndex applied = core.applied();
    Invariants.check(applied.index() == latest.termIndex().getIndex(),
        "installed snapshot %s holds applied index %d", latest.termIndex(), applied.index());
    setLastAppliedTermIndex(latest.termIndex());
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    ByteString content = request.getMessage().getContent();
    TransactionContext.Builder trx = TransactionContext.newBuilder()
        .setStateMachine(this)
        .setClientRequest(request)
        .setLogData(content);
    try {
      Command command = Command.parseFrom(content.asReadOnlyByteBuffer());
      validator.validate(command, content.size(), core);
      return trx.build();
    } catch (InvalidProtocolBufferException e) {
      return trx.build().setException(
          new CommandRejectedException(ErrorReason.INVALID_REQUEST, "not a Sluice command: " + e.getMessage()));
    } catch (CommandRejectedException e) {
      return trx.build().setException(e);
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long term = entry.getTerm();
    long index = entry.getIndex();
    if (index <= core.applied().index()) {
      // Cannot happen while the invariant above holds; replaying it would apply it twice.
      LOG.warn("skipping entry {} already in the database (applied index {})", index, core.applied().index());
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    Command command;
    try {
      command = Command.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      // Validated before it was proposed: an unreadable committed entry is corruption. Stop.
      throw new IllegalStateException("committed entry " + index + " is not a Sluice command", e);
    }
    CommandResult result = core.apply(term, index, command);
    updateLastAppliedTermIndex(term, index);
    if (command.hasAppend() && result.hasAppend()) {
      for (AppendListener l : listeners) {
        l.onApplied(index);
      }
    }
    return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(result.toByteArray())));
  }

  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    if (last == null || last.getIndex() < 0) {
      return -1;
    }
    Optional<SnapshotStore.Snapshot> latest = snapshots.latest();
    if (latest.isPresent() && latest.get().termIndex().getIndex() >= last.getIndex()) {
      return latest.get().termIndex().getIndex();
    }
    Invariants.check(core.applied().index() == last.getIndex(), "core at %d, reported applied %s",
        core.applied().index(), last);
    return snapshots.take(core, last).termIndex().getIndex();
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return snapshots.getLatestSnapshot();
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return snapshots;
  }

  @Override
  public void close() throws IOException {
    super.close();
    LogCore c = core;
    if (c != null) {
      c.close();
    }
  }
}
