package io.sluice.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteOutput;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
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
  private final List<AppliedListener> listeners = new CopyOnWriteArrayList<>();
  private final List<LeaderChangeListener> leaderListeners = new CopyOnWriteArrayList<>();
  private final List<SnapshotListener> snapshotListeners = new CopyOnWriteArrayList<>();
  private volatile LogCore core;
  private final StorageCompression compression;

  /**
   * @param dbDir        where the live RocksDB lives (outside Ratis's storage, which a snapshot
   *                     install replaces wholesale)
   * @param limits       checked before proposing
   * @param snapshotsRetained how many snapshots to keep on disk (at least 1)
   */
  public SluiceStateMachine(Path dbDir, Limits limits, int snapshotsRetained) {
    this(dbDir, limits, snapshotsRetained, StorageCompression.LZ4);
  }

  /**
   * @param dbDir        where the live RocksDB lives (outside Ratis's storage, which a snapshot
   *                     install replaces wholesale)
   * @param limits       checked before proposing
   * @param snapshotsRetained how many snapshots to keep on disk (at least 1)
   * @param compression  of the files the state database writes
   */
  public SluiceStateMachine(Path dbDir, Limits limits, int snapshotsRetained, StorageCompression compression) {
    this.dbDir = dbDir;
    this.compression = compression;
    this.validator = new CommandValidator(limits);
    this.snapshots = new SnapshotStore(Math.max(1, snapshotsRetained), this::snapshotTaken);
  }

  /** The checks run before a command enters the log (the leader also runs them before merging requests). */
  public CommandValidator validator() {
    return validator;
  }

  /** The core, for reads. Valid after {@link #initialize}. */
  public LogCore core() {
    return core;
  }

  public void addAppliedListener(AppliedListener listener) {
    listeners.add(listener);
  }

  private void fireApplied(long index) {
    for (AppliedListener l : listeners) {
      l.onApplied(index);
    }
  }

  /**
   * Read-only queries, run by Ratis after ReadIndex (linearizable): a serialized
   * {@code sluice.v1.ListOffsetsRequest}, answered with a {@code ListOffsetsResponse}.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      ListOffsetsRequest q = ListOffsetsRequest.parseFrom(request.getContent().asReadOnlyByteBuffer());
      return CompletableFuture.completedFuture(
          Message.valueOf(ByteString.copyFrom(OffsetsQuery.answer(core, q).toByteArray())));
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Added before the Raft server starts, so that the first leader is seen too. */
  public void addLeaderChangeListener(LeaderChangeListener listener) {
    leaderListeners.add(listener);
  }

  /** Added before the Raft server starts, so that a snapshot taken while starting is seen too. */
  public void addSnapshotListener(SnapshotListener listener) {
    snapshotListeners.add(listener);
  }

  private void snapshotTaken(long index, Duration took) {
    for (SnapshotListener l : snapshotListeners) {
      l.onSnapshotTaken(index, took);
    }
  }

  /** Index covered by the latest snapshot on disk, or -1. */
  public long latestSnapshotIndex() {
    return snapshots.latest().map(s -> s.termIndex().getIndex()).orElse(-1L);
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    // Ratis checks this lifecycle: RUNNING to apply, PAUSED before it reloads an installed snapshot.
    getLifeCycle().startAndTransition(() -> {
      super.initialize(server, groupId, storage);
      snapshots.init(storage);
      core = LogCore.open(dbDir, compression);
      verifyStorage();
      reconcileWithSnapshot();
    }, IOException.class);
  }

  /** Called by Ratis right before it publishes a snapshot installed from the leader. */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /**
   * Reads every block of the live database and of the latest snapshot and checks their checksums,
   * before anything is served from them or a snapshot is sent to a follower: damage is found
   * here, at start, as a {@link StorageCorruptException}, not by whichever read lands on it later.
   * Costs one read of both (they share most files: a snapshot is a hard-linked checkpoint).
   */
  private void verifyStorage() throws IOException {
    long startNanos = System.nanoTime();
    core.verifyChecksums();
    Optional<SnapshotStore.Snapshot> latest = snapshots.latest();
    if (latest.isPresent()) {
      LogCore.verifyCheckpoint(latest.get().dir());
    }
    LOG.info("checked the checksums of the state database{} in {} ms",
        latest.map(s -> " and snapshot " + s.termIndex()).orElse(""), (System.nanoTime() - startNanos) / 1_000_000);
  }

  /**
   * A new state machine over the same directories with the same limits and listeners, for a node
   * that starts again after this one failed to start (its Ratis server cannot be reused).
   * This one must be closed first.
   */
  public SluiceStateMachine successor() {
    SluiceStateMachine next = new SluiceStateMachine(dbDir, validator.limits(), snapshots.retainedMax(), compression);
    next.listeners.addAll(listeners);
    next.leaderListeners.addAll(leaderListeners);
    next.snapshotListeners.addAll(snapshotListeners);
    return next;
  }

  private void reconcileWithSnapshot() throws IOException {
    Optional<SnapshotStore.Snapshot> latest = snapshots.latest();
    long snapshotIndex = latest.map(s -> s.termIndex().getIndex()).orElse(-1L);
    LogCore.AppliedIndex applied = core.applied();
    if (applied.index() < snapshotIndex) {
      // A snapshot was installed from the leader but not yet loaded (or the database was lost).
      LOG.info("database at index {} is behind snapshot {}; loading the snapshot", applied.index(), snapshotIndex);
      core.replaceWith(latest.get().dir(), snapshotIndex);
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
    core.replaceWith(latest.dir(), latest.termIndex().getIndex());
    LogCore.AppliedIndex applied = core.applied();
    Invariants.check(applied.index() == latest.termIndex().getIndex(),
        "installed snapshot %s holds applied index %d", latest.termIndex(), applied.index());
    setLastAppliedTermIndex(latest.termIndex());
    fireApplied(latest.termIndex().getIndex());
    for (SnapshotListener l : snapshotListeners) {
      l.onSnapshotInstalled(latest.termIndex().getIndex());
    }
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    ByteString content = request.getMessage().getContent();
    TransactionContext.Builder trx = TransactionContext.newBuilder()
        .setStateMachine(this)
        .setClientRequest(request)
        .setLogData(content);
    try {
      Command command = parseCommand(content);
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
    CommandResult result;
    try {
      command = parseCommand(entry.getStateMachineLogEntry().getLogData());
      result = core.apply(term, index, command);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // Validated before it was proposed: an unreadable entry or a failed write is corruption or
      // a broken disk, and the state can no longer follow the log.
      throw halt("applying entry " + index, e);
    }
    updateLastAppliedTermIndex(term, index);
    fireApplied(index);
    return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(result.toByteArray())));
  }

  @Override
  public void notifyTermIndexUpdated(long term, long index) {
    if (index > core.applied().index()) {
      try {
        core.recordApplied(term, index);
      } catch (RuntimeException e) {
        throw halt("recording entry " + index, e);
      }
    }
    super.notifyTermIndexUpdated(term, index);
    fireApplied(index);
  }

  /** Ratis calls this only when the new leader is known (a null leader is not reported). */
  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    if (newLeaderId != null) {
      for (LeaderChangeListener l : leaderListeners) {
        l.onLeaderChanged(newLeaderId.toString());
      }
    }
  }

  /**
   * Stops the process, loudly, when applying cannot go on. Ratis's updater would otherwise retry
   * the failure in a loop; on restart the node replays the Raft log from its last durable state.
   */
  private static Error halt(String what, Throwable cause) {
    LOG.error("FATAL: {} failed; halting so the node restarts from its durable state", what, cause);
    Runtime.getRuntime().halt(70);
    return new AssertionError("unreachable", cause);
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
    if (core.applied().index() != last.getIndex()) {
      // Thrown as IOException: Ratis logs it and keeps serving without this snapshot.
      throw new IOException("not taking a snapshot: state holds index " + core.applied().index()
          + " but Raft reports " + last + " applied");
    }
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

  /**
   * Parses a command without copying its bytes: its {@code bytes} fields (the record batches)
   * alias {@code content}. Safe because neither side is ever written: the leader's entry is the
   * array the proposer serialised, a follower's the one its RPC decoded, and Ratis keeps both
   * until the entry is applied; the core copies each batch before patching its base offset.
   * Parsing from a read-only buffer would copy the entry and then each batch again.
   */
  static Command parseCommand(ByteString content) throws InvalidProtocolBufferException {
    ArrayChunk chunk = new ArrayChunk();
    try {
      UnsafeByteOperations.unsafeWriteTo(content, chunk);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // ArrayChunk does no I/O
    }
    com.google.protobuf.CodedInputStream in = chunk.array != null && chunk.length == content.size()
        ? com.google.protobuf.CodedInputStream.newInstance(chunk.array, chunk.offset, chunk.length)
        : com.google.protobuf.CodedInputStream.newInstance(content.toByteArray()); // not one array: copy
    in.enableAliasing(true);
    try {
      return Command.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an in-memory input does no I/O
    }
  }

  /** Captures the backing array of a ByteString made of one array; anything else is left to a copy. */
  private static final class ArrayChunk extends ByteOutput {
    byte[] array;
    int offset;
    int length = -1;

    @Override
    public void write(byte value) {
      array = null;
    }

    @Override
    public void write(byte[] value, int offset, int length) {
      array = null;
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) {
      if (this.length != -1) {
        array = null; // a second chunk: not one array
        this.length = -2;
        return;
      }
      this.array = value;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public void write(ByteBuffer value) {
      array = null;
    }

    @Override
    public void writeLazy(ByteBuffer value) {
      array = null;
    }
  }
}
