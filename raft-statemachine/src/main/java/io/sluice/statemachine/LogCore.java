package io.sluice.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.AlterTopicConfig;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendGroup;
import io.sluice.internal.v1.AppendGroupResult;
import io.sluice.internal.v1.AppendBatch;
import io.sluice.internal.v1.AppendResult;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandError;
import io.sluice.internal.v1.CommandResult;
import io.sluice.internal.v1.CreateTopic;
import io.sluice.internal.v1.DeleteTopic;
import io.sluice.internal.v1.Empty;
import io.sluice.internal.v1.ExpireProducers;
import io.sluice.internal.v1.PartitionState;
import io.sluice.internal.v1.ProducerPartitionState;
import io.sluice.internal.v1.ProducerState;
import io.sluice.internal.v1.RegisterNode;
import io.sluice.internal.v1.SequenceRange;
import io.sluice.internal.v1.StoredGroup;
import io.sluice.internal.v1.StoredOffset;
import java.util.SortedMap;
import io.sluice.internal.v1.TopicState;
import io.sluice.internal.v1.TruncatePartition;
import io.sluice.protocol.RecordBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import org.rocksdb.Checkpoint;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deterministic core of the log: topics, partitions, offsets and stored batches in RocksDB.
 *
 * <p>{@link #apply} depends only on the current state and the command: no clock, no random, no
 * I/O outside the database directory. Each command's changes and the applied Raft (term, index)
 * are written in one {@link WriteBatch}, so the stored state always names the entry it reflects.
 * Offsets are per partition, dense from 0, and independent of Raft indexes.
 *
 * <p>The RocksDB write-ahead log is off: the Raft log is the write-ahead log. After a crash the
 * database holds a prefix of the applied entries (whatever was flushed), consistent because the
 * applied index lives in the same single column family, and Raft replays the rest.
 *
 * <p>Thread-safety: one thread applies (Ratis's state machine updater); any number of threads
 * read concurrently. {@link #replaceWith} and {@link #close} exclude both.
 */
public final class LogCore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LogCore.class);

  static {
    RocksDB.loadLibrary();
  }

  /** Raft (term, index) of the last applied entry; index -1 when nothing was applied. */
  public record AppliedIndex(long term, long index) {
    public static final AppliedIndex NONE = new AppliedIndex(0, -1);
  }

  /** What a read returns: whole batches plus the partition's offsets at the time of the read. */
  public record ReadResult(List<byte[]> batches, long logStartOffset, long endOffset) {}

  /** A topic's metadata with the state of each partition. */
  public record TopicView(TopicState topic, List<PartitionState> partitions) {}

  private final Path dbDir;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final WriteOptions writeOptions = new WriteOptions().setDisableWAL(true);
  private Options options;
  private RocksDB db;

  // Caches of what is in the database; written by the applying thread after each WriteBatch.
  private final Map<String, TopicState> topics = new ConcurrentHashMap<>();
  private final Map<Long, PartitionState[]> partitions = new ConcurrentHashMap<>();
  private final Map<String, String> nodes = new ConcurrentHashMap<>();
  private final Map<Long, ProducerState> producers = new ConcurrentHashMap<>();
  private final Map<String, StoredGroup> groups = new ConcurrentHashMap<>();
  private final GroupApply groupApply = new GroupApply(this);
  private final AuthState auth = new AuthState();
  private final QuotaState quotas = new QuotaState();

  /** Sequence ranges remembered per (producer, partition): retries of this many recent batches are recognised. */
  static final int PRODUCER_BATCHES_REMEMBERED = 5;
  private volatile AppliedIndex applied = AppliedIndex.NONE;

  private final StorageCompression compression;

  private LogCore(Path dbDir, StorageCompression compression) {
    this.dbDir = dbDir;
    this.compression = compression;
  }

  /**
   * Most partitions a stored topic may state when the state is loaded: a sanity bound far above
   * any configured topic.partitions.max, so that damaged state cannot size an allocation.
   */
  static final int PARTITIONS_STORED_MAX = 1 << 20;

  /** Opens (creating if absent) the database in {@code dbDir} and loads its state; LZ4 for written files. */
  public static LogCore open(Path dbDir) throws IOException {
    return open(dbDir, StorageCompression.LZ4);
  }

  /**
   * Opens (creating if absent) the database in {@code dbDir} and loads its state.
   *
   * @param compression for the files the database writes from now on (files already written keep
   *                    theirs and stay readable)
   */
  public static LogCore open(Path dbDir, StorageCompression compression) throws IOException {
    LogCore core = new LogCore(dbDir, compression);
    core.openDb();
    return core;
  }

  private void openDb() throws IOException {
    Files.createDirectories(dbDir);
    options = new Options()
        .setCreateIfMissing(true)
        // Batches arrive in offset order and are rarely overwritten: big memtables, few flushes.
        .setWriteBufferSize(64L << 20)
        .setMaxWriteBufferNumber(3)
        .setCompressionType(compression.rocksDb)
        .setMaxBackgroundJobs(2);
    try {
      db = RocksDB.open(options, dbDir.toString());
    } catch (RocksDBException e) {
      closeDb();
      if (isCorruption(e)) {
        throw new StorageCorruptException("state database in " + dbDir + " is corrupt: " + e.getMessage(), e);
      }
      throw new IOException("cannot open RocksDB in " + dbDir + ": " + e.getMessage(), e);
    }
    try {
      load();
    } catch (IOException e) {
      closeDb();
      throw e;
    }
  }

  private void load() throws IOException {
    topics.clear();
    partitions.clear();
    nodes.clear();
    producers.clear();
    groups.clear();
    auth.clear();
    quotas.clear();
    applied = AppliedIndex.NONE;
    try (RocksIterator it = db.newIterator()) {
      byte[] a = db.get(Keys.APPLIED);
      if (a != null) {
        Invariants.check(a.length == 16, "applied index value is %d bytes, not 16", a.length);
        ByteBuffer b = ByteBuffer.wrap(a);
        applied = new AppliedIndex(b.getLong(), b.getLong());
      }
      for (it.seek(Keys.kind(Keys.TOPIC)); it.isValid() && it.key()[0] == Keys.TOPIC; it.next()) {
        TopicState t = TopicState.parseFrom(it.value());
        // Bounded before allocating: a damaged or hostile value must not size an array.
        Invariants.check(t.getPartitions() >= 1 && t.getPartitions() <= PARTITIONS_STORED_MAX,
            "topic %s states %d partitions", t.getName(), t.getPartitions());
        topics.put(t.getName(), t);
        PartitionState[] ps = new PartitionState[t.getPartitions()];
        for (int p = 0; p < ps.length; p++) {
          byte[] v = db.get(Keys.partition(t.getTopicId(), p));
          Invariants.check(v != null, "topic %s partition %d has no state", t.getName(), p);
          ps[p] = PartitionState.parseFrom(v);
        }
        partitions.put(t.getTopicId(), ps);
      }
      for (it.seek(Keys.kind(Keys.PRODUCER)); it.isValid() && it.key()[0] == Keys.PRODUCER; it.next()) {
        ProducerState p = ProducerState.parseFrom(it.value());
        producers.put(p.getProducerId(), p);
      }
      for (it.seek(Keys.kind(Keys.GROUP)); it.isValid() && it.key()[0] == Keys.GROUP; it.next()) {
        StoredGroup g = StoredGroup.parseFrom(it.value());
        groups.put(g.getGroupId(), g);
      }
      for (it.seek(Keys.kind(Keys.NODE)); it.isValid() && it.key()[0] == Keys.NODE; it.next()) {
        nodes.put(new String(it.key(), 1, it.key().length - 1, StandardCharsets.UTF_8),
            new String(it.value(), StandardCharsets.UTF_8));
      }
      auth.load(db);
      quotas.load(db);
      checkRecoveredInvariants();
    } catch (RocksDBException e) {
      if (isCorruption(e)) {
        throw new StorageCorruptException("state in " + dbDir + " is corrupt: " + e.getMessage(), e);
      }
      throw new IOException("cannot load state from " + dbDir + ": " + e.getMessage(), e);
    } catch (InvalidProtocolBufferException e) {
      throw new StorageCorruptException("state in " + dbDir + " is corrupt (unreadable value): " + e.getMessage(), e);
    } catch (RuntimeException e) { // short values, failed invariants: stored bytes that lie
      throw new StorageCorruptException("state in " + dbDir + " is corrupt: " + e, e);
    }
  }

  /** On recovery: each partition's next offset is one past its last stored batch's last offset. */
  private void checkRecoveredInvariants() {
    for (TopicState t : topics.values()) {
      PartitionState[] ps = partitions.get(t.getTopicId());
      for (int p = 0; p < ps.length; p++) {
        byte[] prefix = Keys.batchPrefix(t.getTopicId(), p);
        try (RocksIterator it = db.newIterator()) {
          it.seekForPrev(Keys.batch(t.getTopicId(), p, Long.MAX_VALUE));
          if (it.isValid() && Keys.startsWith(it.key(), prefix)) {
            long last = RecordBatch.lastOffset(ByteBuffer.wrap(it.value()));
            Invariants.check(ps[p].getNextOffset() == last + 1,
                "%s-%d: nextOffset %d but last stored offset %d", t.getName(), p, ps[p].getNextOffset(), last);
          } else {
            Invariants.check(ps[p].getBatchCount() == 0 && ps[p].getNextOffset() == ps[p].getLogStartOffset(),
                "%s-%d: no batches stored but state is %s", t.getName(), p, ps[p]);
          }
        }
      }
    }
  }

  public AppliedIndex applied() {
    return applied;
  }

  /**
   * Applies one committed command. Deterministic: the same (state, term, index, command) always
   * gives the same result and the same stored bytes. A command that fails (unknown topic, …)
   * changes nothing but the applied index and returns an error result.
   *
   * <p>Only the applying thread may call this.
   */
  public CommandResult apply(long term, long index, Command command) {
    Invariants.check(index > applied.index(), "entry %d applied twice (applied index is %d)", index, applied.index());
    lock.readLock().lock();
    try (WriteBatch batch = new WriteBatch()) {
      Effects effects = new Effects();
      CommandResult result = switch (command.getKindCase()) {
        case CREATE_TOPIC -> createTopic(index, command.getTimestampMs(), command.getCreateTopic(), batch, effects);
        case DELETE_TOPIC -> deleteTopic(command.getDeleteTopic(), batch, effects);
        case APPEND -> append(command.getTimestampMs(), command.getAppend(), batch, effects);
        case REGISTER_NODE -> registerNode(command.getRegisterNode(), batch, effects);
        case ALTER_TOPIC_CONFIG -> alterTopicConfig(command.getAlterTopicConfig(), batch, effects);
        case TRUNCATE_PARTITION -> truncatePartition(command.getTruncatePartition(), batch, effects);
        case INIT_PRODUCER -> initProducer(index, command.getTimestampMs(), batch, effects);
        case EXPIRE_PRODUCERS -> expireProducers(command.getTimestampMs(), command.getExpireProducers(), batch, effects);
        case JOIN_GROUP -> groupApply.join(index, command.getJoinGroup(), batch, effects);
        case LEAVE_GROUP -> groupApply.leave(command.getLeaveGroup(), batch, effects);
        case EXPIRE_MEMBERS -> groupApply.expire(command.getExpireMembers(), batch, effects);
        case COMMIT_OFFSETS -> groupApply.commit(command.getTimestampMs(), command.getCommitOffsets(), batch);
        case RESET_GROUP_OFFSETS -> groupApply.reset(command.getTimestampMs(), command.getResetGroupOffsets(), batch);
        case DELETE_GROUP -> groupApply.delete(command.getDeleteGroup(), batch, effects);
        case APPEND_GROUP -> appendGroup(command.getTimestampMs(), command.getAppendGroup(), batch, effects);
        case CREATE_TOKEN -> auth.createToken(index, command.getTimestampMs(), command.getCreateToken(), batch, effects);
        case REVOKE_TOKEN -> auth.revokeToken(command.getRevokeToken(), batch, effects);
        case ADD_ACL -> auth.addAcl(command.getAddAcl(), batch, effects);
        case REMOVE_ACL -> auth.removeAcl(command.getRemoveAcl(), batch, effects);
        case SET_QUOTA -> quotas.set(command.getSetQuota(), batch, effects);
        case REMOVE_QUOTA -> quotas.remove(command.getRemoveQuota(), batch, effects);
        case KIND_NOT_SET -> throw new IllegalStateException("entry " + index + " has a command with no kind");
      };
      batch.put(Keys.APPLIED, ByteBuffer.allocate(16).putLong(term).putLong(index).array());
      db.write(writeOptions, batch);
      effects.publish(this);
      applied = new AppliedIndex(term, index);
      return result;
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("RocksDB write failed at entry " + index + ": " + e.getMessage(), e));
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Records an entry that carries no command (a Raft configuration or leader no-op entry), so the
   * stored applied index always equals Raft's: snapshots then name exactly the state they hold.
   */
  public void recordApplied(long term, long index) {
    Invariants.check(index > applied.index(), "entry %d recorded twice (applied index is %d)", index, applied.index());
    lock.readLock().lock();
    try {
      db.put(writeOptions, Keys.APPLIED, ByteBuffer.allocate(16).putLong(term).putLong(index).array());
      applied = new AppliedIndex(term, index);
    } catch (RocksDBException e) {
      throw new UncheckedIOException(new IOException("RocksDB write failed at entry " + index + ": " + e.getMessage(), e));
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Cache changes, made visible only after their WriteBatch is durable in RocksDB's memtable. */
  static final class Effects {
    final Map<String, TopicState> topicsPut = new TreeMap<>();
    final Set<String> topicsRemoved = new HashSet<>();
    final Map<Long, PartitionState[]> partitionsPut = new TreeMap<>();
    final Map<String, String> nodesPut = new TreeMap<>();
    final Map<Long, ProducerState> producersPut = new TreeMap<>();
    final Set<Long> producersRemoved = new HashSet<>();
    final Map<String, StoredGroup> groupsPut = new TreeMap<>();
    final Set<String> groupsRemoved = new HashSet<>();
    // Producer-partition states written earlier in this entry (an AppendGroup may touch one twice),
    // keyed by their RocksDB key; read before the database, which does not have them yet.
    final Map<ByteBuffer, byte[]> producerPartitionsPut = new HashMap<>();
    final List<io.sluice.internal.v1.StoredToken> tokensPut = new ArrayList<>();
    final List<io.sluice.internal.v1.StoredToken> tokensRemoved = new ArrayList<>();
    final Map<String, io.sluice.api.v1.AclEntry> aclsPut = new TreeMap<>();
    final Set<String> aclsRemoved = new HashSet<>();
    final Map<String, io.sluice.api.v1.QuotaEntry> quotasPut = new TreeMap<>();
    final Set<String> quotasRemoved = new HashSet<>();

    void publish(LogCore core) {
      core.auth.publish(this);
      core.quotas.publish(this);
      core.partitions.putAll(partitionsPut);
      core.topics.putAll(topicsPut);
      for (String name : topicsRemoved) {
        TopicState t = core.topics.remove(name);
        core.partitions.remove(t.getTopicId());
      }
      core.nodes.putAll(nodesPut);
      core.producers.putAll(producersPut);
      producersRemoved.forEach(core.producers::remove);
      core.groups.putAll(groupsPut);
      groupsRemoved.forEach(core.groups::remove);
    }
  }

  private CommandResult createTopic(long index, long timestampMs, CreateTopic c, WriteBatch batch, Effects fx)
      throws RocksDBException {
    if (topics.containsKey(c.getName())) {
      return error(ErrorReason.TOPIC_EXISTS, "topic '" + c.getName() + "' already exists");
    }
    Invariants.check(c.getPartitions() > 0, "create-topic with %d partitions reached the log", c.getPartitions());
    // The limits travel in the entry (stamped by the proposing leader), so every replica decides alike.
    if (c.getTopicsMax() > 0 && topics.size() >= c.getTopicsMax()) {
      return error(ErrorReason.TOO_MANY_TOPICS, "the cluster already has " + topics.size()
          + " topics, the most topics.max (" + c.getTopicsMax() + ") allows; delete unused topics first");
    }
    if (c.getPartitionsTotalMax() > 0) {
      long total = partitionsTotal();
      if (total + c.getPartitions() > c.getPartitionsTotalMax()) {
        return error(ErrorReason.TOO_MANY_PARTITIONS, "topic '" + c.getName() + "' with " + c.getPartitions()
            + " partitions would take the cluster to " + (total + c.getPartitions())
            + " partitions, over partitions.max (" + c.getPartitionsTotalMax() + "); " + total + " are in use");
      }
    }
    // The creating entry's Raft index is unique for the cluster's life: a re-created topic never
    // shares keys with an earlier one.
    TopicState t = TopicState.newBuilder()
        .setName(c.getName()).setTopicId(index).setPartitions(c.getPartitions()).setCreatedTimeMs(timestampMs)
        .putAllConfigs(c.getConfigsMap())
        .build();
    batch.put(Keys.topic(t.getName()), t.toByteArray());
    PartitionState[] ps = new PartitionState[t.getPartitions()];
    for (int p = 0; p < ps.length; p++) {
      ps[p] = PartitionState.getDefaultInstance();
      batch.put(Keys.partition(t.getTopicId(), p), ps[p].toByteArray());
    }
    fx.topicsPut.put(t.getName(), t);
    fx.partitionsPut.put(t.getTopicId(), ps);
    return CommandResult.newBuilder().setTopic(t).build();
  }

  /** Partitions of all topics together (topics.max bounds the walk). */
  public long partitionsTotal() {
    long total = 0;
    for (TopicState t : topics.values()) {
      total += t.getPartitions();
    }
    return total;
  }

  /** Number of topics. */
  public int topicCount() {
    return topics.size();
  }

  private CommandResult deleteTopic(DeleteTopic c, WriteBatch batch, Effects fx) throws RocksDBException {
    TopicState t = topics.get(c.getName());
    if (t == null) {
      return error(ErrorReason.UNKNOWN_TOPIC, "topic '" + c.getName() + "' does not exist");
    }
    batch.delete(Keys.topic(t.getName()));
    byte[] parts = Keys.partitionsOf(t.getTopicId());
    batch.deleteRange(parts, Keys.prefixEnd(parts));
    byte[] batches = Keys.batchesOf(t.getTopicId());
    batch.deleteRange(batches, Keys.prefixEnd(batches));
    fx.topicsRemoved.add(t.getName());
    return CommandResult.newBuilder().setOk(Empty.getDefaultInstance()).build();
  }

  /** What the validation pass decided for one batch of an append. */
  private record Planned(TopicState topic, AppendBatch batch, ProducerPartitionState producerState, long duplicateOf) {}

  private CommandResult append(long timestampMs, Append c, WriteBatch batch, Effects fx) throws RocksDBException {
    if (c.hasGroupCommit()) {
      // Exactly-once transform: a member whose generation moved on writes neither records nor offsets.
      CommandError fenced = groupApply.fence(c.getGroupCommit());
      if (fenced != null) {
        return CommandResult.newBuilder().setError(fenced).build();
      }
    }
    // Validate every batch first: the command is all or nothing.
    Set<String> seen = new HashSet<>();
    List<Planned> plan = new ArrayList<>(c.getBatchesCount());
    for (AppendBatch b : c.getBatchesList()) {
      TopicState t = topics.get(b.getTopic());
      if (t == null) {
        return error(ErrorReason.UNKNOWN_TOPIC, "topic '" + b.getTopic() + "' does not exist");
      }
      if (b.getPartition() < 0 || b.getPartition() >= t.getPartitions()) {
        return error(ErrorReason.UNKNOWN_PARTITION, "topic '" + b.getTopic() + "' has no partition "
            + b.getPartition() + " (it has " + t.getPartitions() + ")");
      }
      Invariants.check(seen.add(b.getTopic() + "/" + b.getPartition()),
          "append command has two batches for %s-%d", b.getTopic(), b.getPartition());
      Invariants.check(b.getRecords().size() >= RecordBatch.HEADER_SIZE,
          "append command carries a %d-byte batch", b.getRecords().size());
      ByteBuffer header = b.getRecords().asReadOnlyByteBuffer();
      long producerId = header.getLong(RecordBatch.PRODUCER_ID_OFFSET);
      if (producerId < 0) {
        plan.add(new Planned(t, b, null, -1));
        continue;
      }
      ProducerState producer = producers.get(producerId);
      if (producer == null) {
        return error(ErrorReason.UNKNOWN_PRODUCER_ID, "producer id " + producerId
            + " is unknown (never issued, or expired after being idle); obtain a new one");
      }
      short epoch = header.getShort(RecordBatch.PRODUCER_EPOCH_OFFSET);
      if (epoch != producer.getEpoch()) {
        return error(ErrorReason.PRODUCER_FENCED, "producer " + producerId + " epoch " + epoch
            + " is not the current epoch " + producer.getEpoch());
      }
      int first = header.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
      int last = first + header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
      byte[] stateKey = Keys.producerPartition(producerId, t.getTopicId(), b.getPartition());
      byte[] stateBytes = fx.producerPartitionsPut.get(ByteBuffer.wrap(stateKey));
      if (stateBytes == null) {
        stateBytes = db.get(stateKey);
      }
      ProducerPartitionState state = parsePartitionState(stateBytes);
      long duplicateOf = -1;
      for (SequenceRange r : state.getBatchesList()) {
        if (r.getFirstSequence() == first && r.getLastSequence() == last) {
          duplicateOf = r.getBaseOffset();
        }
      }
      int expected = state.getBatchesCount() == 0 ? 0 : state.getBatches(state.getBatchesCount() - 1).getLastSequence() + 1;
      if (duplicateOf < 0 && first != expected) {
        return error(ErrorReason.OUT_OF_ORDER_SEQUENCE, "producer " + producerId + " sent sequence " + first
            + " to " + b.getTopic() + "-" + b.getPartition() + " but " + expected + " was expected");
      }
      plan.add(new Planned(t, b, state, duplicateOf));
    }
    AppendResult.Builder result = AppendResult.newBuilder().setLogAppendTimeMs(timestampMs);
    Map<Long, PartitionState[]> changed = fx.partitionsPut;
    for (Planned p : plan) {
      AppendBatch b = p.batch();
      if (p.duplicateOf() >= 0) {
        result.addBaseOffsets(p.duplicateOf()).addDuplicates(true);
        continue;
      }
      TopicState t = p.topic();
      PartitionState[] ps = changed.computeIfAbsent(t.getTopicId(), id -> partitions.get(id).clone());
      PartitionState before = ps[b.getPartition()];
      long baseOffset = before.getNextOffset();
      byte[] stored = RecordBatch.withBaseOffset(b.getRecords(), baseOffset); // one copy, patched
      ByteBuffer view = ByteBuffer.wrap(stored);
      int count = RecordBatch.recordCount(view);
      Invariants.check(count > 0, "batch for %s-%d has %d records", b.getTopic(), b.getPartition(), count);
      PartitionState after = before.toBuilder()
          .setNextOffset(baseOffset + count)
          .setBatchCount(before.getBatchCount() + 1)
          .setSizeBytes(before.getSizeBytes() + stored.length)
          .build();
      batch.put(Keys.batch(t.getTopicId(), b.getPartition(), baseOffset), stored);
      batch.put(Keys.partition(t.getTopicId(), b.getPartition()), after.toByteArray());
      ps[b.getPartition()] = after;
      if (p.producerState() != null) {
        rememberSequence(view, t.getTopicId(), b.getPartition(), p.producerState(), baseOffset, timestampMs, batch, fx);
      }
      result.addBaseOffsets(baseOffset).addDuplicates(false);
    }
    if (c.hasGroupCommit()) {
      groupApply.writeOffsets(c.getGroupCommit(), timestampMs, batch); // same WriteBatch: both or neither
    }
    return CommandResult.newBuilder().setAppend(result).build();
  }

  /**
   * Applies each Append of a group commit on its own, in order, into the same WriteBatch: each is
   * all or nothing for itself (its checks run before it writes anything), and later ones see what
   * earlier ones wrote (partition and producer states go through {@link Effects}).
   */
  private CommandResult appendGroup(long timestampMs, AppendGroup g, WriteBatch batch, Effects fx)
      throws RocksDBException {
    Invariants.check(g.getAppendsCount() > 0, "append group with no appends reached the log");
    AppendGroupResult.Builder results = AppendGroupResult.newBuilder();
    for (Append a : g.getAppendsList()) {
      results.addResults(append(timestampMs, a, batch, fx));
    }
    return CommandResult.newBuilder().setAppendGroup(results).build();
  }

  private static ProducerPartitionState parsePartitionState(byte[] bytes) {
    if (bytes == null) {
      return ProducerPartitionState.getDefaultInstance();
    }
    try {
      return ProducerPartitionState.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored producer state is unreadable", e);
    }
  }

  private void rememberSequence(ByteBuffer header, long topicId, int partition, ProducerPartitionState state,
      long baseOffset, long timestampMs, WriteBatch batch, Effects fx) throws RocksDBException {
    long producerId = header.getLong(RecordBatch.PRODUCER_ID_OFFSET);
    int first = header.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
    SequenceRange range = SequenceRange.newBuilder()
        .setFirstSequence(first)
        .setLastSequence(first + header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET))
        .setBaseOffset(baseOffset)
        .build();
    List<SequenceRange> kept = new ArrayList<>(state.getBatchesList());
    kept.add(range);
    while (kept.size() > PRODUCER_BATCHES_REMEMBERED) {
      kept.remove(0);
    }
    byte[] key = Keys.producerPartition(producerId, topicId, partition);
    byte[] value = ProducerPartitionState.newBuilder().addAllBatches(kept).build().toByteArray();
    batch.put(key, value);
    fx.producerPartitionsPut.put(ByteBuffer.wrap(key), value);
    ProducerState producer = fx.producersPut.getOrDefault(producerId, producers.get(producerId))
        .toBuilder().setLastSeenMs(timestampMs).build();
    batch.put(Keys.producer(producerId), producer.toByteArray());
    fx.producersPut.put(producerId, producer);
  }

  /** Issues a producer id: the Raft index of this command, which no other command shares. */
  private CommandResult initProducer(long index, long timestampMs, WriteBatch batch, Effects fx) throws RocksDBException {
    ProducerState p = ProducerState.newBuilder().setProducerId(index).setEpoch(0).setLastSeenMs(timestampMs).build();
    batch.put(Keys.producer(index), p.toByteArray());
    fx.producersPut.put(index, p);
    return CommandResult.newBuilder().setProducer(p).build();
  }

  /** Forgets producers idle for longer than {@code idle_ms}, on the commands' clock (never the wall clock). */
  private CommandResult expireProducers(long timestampMs, ExpireProducers c, WriteBatch batch, Effects fx)
      throws RocksDBException {
    long cutoff = timestampMs - c.getIdleMs();
    for (ProducerState p : producers.values()) {
      if (p.getLastSeenMs() < cutoff) {
        batch.delete(Keys.producer(p.getProducerId()));
        byte[] prefix = Keys.producerPartitionsOf(p.getProducerId());
        batch.deleteRange(prefix, Keys.prefixEnd(prefix));
        fx.producersRemoved.add(p.getProducerId());
      }
    }
    return CommandResult.newBuilder().setOk(Empty.getDefaultInstance()).build();
  }

  /** Whether any producer was last seen before {@code timestampMs} (the leader's cue to expire). */
  public boolean hasProducerIdleSince(long timestampMs) {
    return producers.values().stream().anyMatch(p -> p.getLastSeenMs() < timestampMs);
  }

  /**
   * The sequence the next batch of {@code producerId} at {@code epoch} must start with on
   * {@code topic}-{@code partition}, as applied so far: 0 when the producer has written nothing
   * there yet. Empty when that is not known here (unknown producer or topic, another epoch), which
   * the state machine would refuse on its own terms. Any thread; a concurrent apply may make the
   * answer one entry old.
   */
  public OptionalInt nextSequence(long producerId, short epoch, String topic, int partition) {
    lock.readLock().lock();
    try {
      ProducerState producer = producers.get(producerId);
      TopicState t = topics.get(topic);
      if (producer == null || producer.getEpoch() != epoch || t == null || partition < 0
          || partition >= t.getPartitions()) {
        return OptionalInt.empty();
      }
      ProducerPartitionState state = parsePartitionState(db.get(Keys.producerPartition(producerId, t.getTopicId(),
          partition)));
      return OptionalInt.of(state.getBatchesCount() == 0 ? 0
          : state.getBatches(state.getBatchesCount() - 1).getLastSequence() + 1);
    } catch (RocksDBException e) {
      throw new IllegalStateException("reading the state of producer " + producerId + " failed", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Number of producer ids currently remembered. */
  public int producerCount() {
    return producers.size();
  }

  private CommandResult alterTopicConfig(AlterTopicConfig c, WriteBatch batch, Effects fx) throws RocksDBException {
    TopicState t = topics.get(c.getName());
    if (t == null) {
      return error(ErrorReason.UNKNOWN_TOPIC, "topic '" + c.getName() + "' does not exist");
    }
    TopicState.Builder altered = t.toBuilder().putAllConfigs(c.getSetMap());
    for (String key : c.getResetList()) {
      altered.removeConfigs(key);
    }
    TopicState after = altered.build();
    batch.put(Keys.topic(after.getName()), after.toByteArray());
    fx.topicsPut.put(after.getName(), after);
    return CommandResult.newBuilder().setTopic(after).build();
  }

  /**
   * Deletes the batches below {@code log_start_offset} and advances the log start offset. The
   * offset must be a batch boundary at or above the current start: offsets are never reused and a
   * batch is never split.
   */
  private CommandResult truncatePartition(TruncatePartition c, WriteBatch batch, Effects fx) throws RocksDBException {
    TopicState t = topics.get(c.getTopic());
    if (t == null || t.getTopicId() != c.getTopicId()) {
      return error(ErrorReason.UNKNOWN_TOPIC, "topic '" + c.getTopic() + "' (id " + c.getTopicId() + ") does not exist");
    }
    if (c.getPartition() < 0 || c.getPartition() >= t.getPartitions()) {
      return error(ErrorReason.UNKNOWN_PARTITION, "topic '" + c.getTopic() + "' has no partition " + c.getPartition());
    }
    PartitionState before = partitions.get(t.getTopicId())[c.getPartition()];
    long start = c.getLogStartOffset();
    if (start <= before.getLogStartOffset()) {
      return CommandResult.newBuilder().setOk(Empty.getDefaultInstance()).build(); // already there
    }
    if (start > before.getNextOffset()) {
      return error(ErrorReason.INVALID_OFFSET, "cannot truncate " + c.getTopic() + "-" + c.getPartition() + " to "
          + start + ", past its end offset " + before.getNextOffset());
    }
    byte[] from = Keys.batch(t.getTopicId(), c.getPartition(), 0);
    byte[] to = Keys.batch(t.getTopicId(), c.getPartition(), start);
    if (start < before.getNextOffset() && !batchStartsAt(to)) {
      return error(ErrorReason.INVALID_OFFSET, start + " is not a batch boundary of " + c.getTopic() + "-" + c.getPartition());
    }
    long removedBatches = 0;
    long removedBytes = 0;
    try (Slice upper = new Slice(to);
         ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
         RocksIterator it = db.newIterator(ro)) {
      for (it.seek(from); it.isValid(); it.next()) {
        removedBatches++;
        removedBytes += it.value().length;
      }
    }
    batch.deleteRange(from, to);
    PartitionState after = before.toBuilder()
        .setLogStartOffset(start)
        .setBatchCount(before.getBatchCount() - removedBatches)
        .setSizeBytes(before.getSizeBytes() - removedBytes)
        .build();
    Invariants.check(after.getBatchCount() >= 0 && after.getSizeBytes() >= 0,
        "truncating %s-%d left %s", c.getTopic(), c.getPartition(), after);
    batch.put(Keys.partition(t.getTopicId(), c.getPartition()), after.toByteArray());
    PartitionState[] ps = fx.partitionsPut.computeIfAbsent(t.getTopicId(), id -> partitions.get(id).clone());
    ps[c.getPartition()] = after;
    return CommandResult.newBuilder().setOk(Empty.getDefaultInstance()).build();
  }

  private boolean batchStartsAt(byte[] key) throws RocksDBException {
    return db.get(key) != null;
  }

  /**
   * Where retention would move a partition's log start offset: past every leading batch whose
   * newest record is older than {@code timestampMsCutoff}, and past the oldest batches while the
   * partition holds more than {@code bytesMax} (-1: no limit). Empty when nothing is due.
   * Read-only; the leader proposes the result as a {@link TruncatePartition} command.
   */
  public Optional<Long> retentionPoint(String topicName, int partition, long timestampMsCutoff, long bytesMax) {
    lock.readLock().lock();
    try {
      TopicState t = topics.get(topicName);
      PartitionState[] ps = t == null ? null : partitions.get(t.getTopicId());
      if (ps == null || partition < 0 || partition >= ps.length) {
        return Optional.empty();
      }
      PartitionState state = ps[partition];
      long size = state.getSizeBytes();
      long start = state.getLogStartOffset();
      byte[] prefix = Keys.batchPrefix(t.getTopicId(), partition);
      try (Slice upper = new Slice(Keys.prefixEnd(prefix));
           ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
           RocksIterator it = db.newIterator(ro)) {
        for (it.seek(prefix); it.isValid(); it.next()) {
          ByteBuffer b = ByteBuffer.wrap(it.value());
          boolean expired = b.getLong(RecordBatch.MAX_TIMESTAMP_OFFSET) < timestampMsCutoff;
          boolean overSize = bytesMax >= 0 && size > bytesMax;
          if (!expired && !overSize) {
            break;
          }
          size -= b.remaining();
          start = RecordBatch.lastOffset(b) + 1;
        }
      }
      return start > state.getLogStartOffset() ? Optional.of(start) : Optional.empty();
    } finally {
      lock.readLock().unlock();
    }
  }

  private CommandResult registerNode(RegisterNode c, WriteBatch batch, Effects fx) throws RocksDBException {
    batch.put(Keys.node(c.getNodeId()), c.getClientAddress().getBytes(StandardCharsets.UTF_8));
    fx.nodesPut.put(c.getNodeId(), c.getClientAddress());
    return CommandResult.newBuilder().setOk(Empty.getDefaultInstance()).build();
  }

  static CommandResult ok() {
    return CommandResult.newBuilder().setOk(Empty.getDefaultInstance()).build();
  }

  static CommandResult error(ErrorReason reason, String message) {
    return CommandResult.newBuilder()
        .setError(CommandError.newBuilder().setReason(reason.name()).setMessage(message))
        .build();
  }

  // ------------------------------------------------------------------------------------------
  // Reads: any thread.

  public Optional<TopicState> topic(String name) {
    return Optional.ofNullable(topics.get(name));
  }

  /** Every topic with its partitions' states, sorted by name. */
  public List<TopicView> topicViews() {
    List<TopicView> out = new ArrayList<>();
    for (TopicState t : topics.values()) {
      view(t).ifPresent(out::add);
    }
    out.sort(Comparator.comparing(v -> v.topic().getName()));
    return out;
  }

  public Optional<TopicView> topicView(String name) {
    return topic(name).flatMap(this::view);
  }

  private Optional<TopicView> view(TopicState t) {
    PartitionState[] ps = partitions.get(t.getTopicId());
    return ps == null ? Optional.empty() : Optional.of(new TopicView(t, List.of(ps)));
  }

  /** A consumer group's stored state (membership, generation, assignment), if it exists. */
  public Optional<StoredGroup> group(String groupId) {
    return Optional.ofNullable(groups.get(groupId));
  }

  StoredGroup groupState(String groupId) {
    return groups.get(groupId);
  }

  /** Number of consumer groups. */
  public int groupCount() {
    return groups.size();
  }

  /** Every consumer group, sorted by id. */
  public List<StoredGroup> groups() {
    List<StoredGroup> out = new ArrayList<>(groups.values());
    out.sort(Comparator.comparing(StoredGroup::getGroupId));
    return out;
  }

  /**
   * A group's committed offsets, sorted by topic and partition. Offsets committed for an earlier
   * incarnation of a topic (deleted and re-created since) are left out.
   */
  public SortedMap<Assignors.Tp, StoredOffset> committedOffsets(String groupId) {
    SortedMap<Assignors.Tp, StoredOffset> out = new TreeMap<>();
    lock.readLock().lock();
    byte[] prefix = Keys.offsetsOf(groupId);
    try (Slice upper = new Slice(Keys.prefixEnd(prefix));
         ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
         RocksIterator it = db.newIterator(ro)) {
      for (it.seek(prefix); it.isValid(); it.next()) {
        byte[] key = it.key();
        int end = key.length - 5; // topic ends before 0x00 + partition(4)
        String topic = new String(key, prefix.length, end - prefix.length, StandardCharsets.UTF_8);
        int partition = ByteBuffer.wrap(key, key.length - 4, 4).getInt();
        StoredOffset o = StoredOffset.parseFrom(it.value());
        TopicState t = topics.get(topic);
        if (t != null && t.getTopicId() == o.getTopicId() && partition < t.getPartitions()) {
          out.put(new Assignors.Tp(topic, partition), o);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored offset of group " + groupId + " is unreadable", e);
    } finally {
      lock.readLock().unlock();
    }
    return out;
  }

  /** The live token whose secret hashes to {@code secretSha256}, if any (no secret is stored). */
  public Optional<io.sluice.internal.v1.StoredToken> tokenByHash(byte[] secretSha256) {
    return auth.tokenByHash(secretSha256);
  }

  /** Every live token (with its hash, which callers must not show), oldest first. */
  public List<io.sluice.internal.v1.StoredToken> tokens() {
    return auth.tokens();
  }

  /** Every ACL, in key order (principal, resource type, name, operation). */
  public List<io.sluice.api.v1.AclEntry> acls() {
    return auth.acls();
  }

  /**
   * The replicated per-principal quotas by principal: an immutable map replaced (never changed) on
   * each apply that changes one, so readers on the hot path hold it without copying or locking.
   */
  public Map<String, io.sluice.api.v1.QuotaEntry> quotas() {
    return quotas.quotas();
  }

  /** Registered client addresses by node id. */
  public Map<String, String> nodes() {
    return Map.copyOf(nodes);
  }

  /**
   * Reads whole batches of one partition, starting with the batch that holds {@code offset}.
   * Returns at least one batch when any exists at or after {@code offset}, then stops before
   * {@code bytesMax} would be exceeded. Empty when {@code offset} is at or past the end.
   *
   * @throws IllegalArgumentException when the topic or partition does not exist
   */
  public ReadResult read(String topicName, int partition, long offset, int bytesMax) {
    lock.readLock().lock();
    try {
      TopicState t = topics.get(topicName);
      PartitionState[] ps = t == null ? null : partitions.get(t.getTopicId());
      if (ps == null || partition < 0 || partition >= ps.length) {
        throw new IllegalArgumentException("no partition " + topicName + "-" + partition);
      }
      PartitionState state = ps[partition];
      List<byte[]> batches = new ArrayList<>();
      if (offset >= state.getNextOffset()) {
        return new ReadResult(batches, state.getLogStartOffset(), state.getNextOffset());
      }
      byte[] prefix = Keys.batchPrefix(t.getTopicId(), partition);
      try (Slice upper = new Slice(Keys.prefixEnd(prefix));
           ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
           RocksIterator it = db.newIterator(ro)) {
        byte[] start = Keys.batch(t.getTopicId(), partition, Math.max(offset, 0));
        it.seekForPrev(start);
        if (!it.isValid() || !Keys.startsWith(it.key(), prefix)) {
          it.seek(start);
        } else if (RecordBatch.lastOffset(ByteBuffer.wrap(it.value())) < offset) {
          it.next();
        }
        long bytes = 0;
        for (; it.isValid(); it.next()) {
          byte[] value = it.value();
          if (!batches.isEmpty() && bytes + value.length > bytesMax) {
            break;
          }
          if (RecordBatch.baseOffset(ByteBuffer.wrap(value)) >= state.getNextOffset()) {
            break; // applied after the state we report; the next read gets it
          }
          batches.add(value);
          bytes += value.length;
        }
        if (!it.isValid()) {
          failIfDamaged(it, topicName + "-" + partition + " from offset " + offset);
        }
      }
      return new ReadResult(batches, state.getLogStartOffset(), state.getNextOffset());
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * An iterator that stops being valid either reached the end or hit an error (a block failing
   * its checksum): RocksDB tells them apart only through {@code status()}. Without this a damaged
   * block would end a read early, silently.
   */
  private void failIfDamaged(RocksIterator it, String what) {
    try {
      it.status();
    } catch (RocksDBException e) {
      LOG.error("reading {} from the state database in {} failed: {}", what, dbDir, e.getMessage());
      throw new UncheckedIOException(new StorageCorruptException("reading " + what + " failed: the state database"
          + " in " + dbDir + " is damaged or unreadable: " + e.getMessage(), e));
    }
  }

  /** Visits every stored key and value in key order: used to compare replicas byte for byte. */
  public void forEachEntry(BiConsumer<byte[], byte[]> visitor) {
    lock.readLock().lock();
    try (RocksIterator it = db.newIterator()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        visitor.accept(it.key(), it.value());
      }
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * A RocksDB integer property of the live database, e.g. {@code rocksdb.total-sst-files-size}
   * (for metrics). Empty while the database is being replaced or is closed: this never waits for
   * {@link #replaceWith}, which may take a while, so a metrics scrape is never held up by it.
   */
  public OptionalLong longProperty(String name) {
    if (!lock.readLock().tryLock()) {
      return OptionalLong.empty();
    }
    try {
      return db == null ? OptionalLong.empty() : OptionalLong.of(db.getLongProperty(name));
    } catch (RocksDBException e) {
      return OptionalLong.empty();
    } finally {
      lock.readLock().unlock();
    }
  }

  // ------------------------------------------------------------------------------------------
  // Snapshots

  /** Writes a consistent copy of the database (a RocksDB checkpoint: hard links + manifest) into {@code dir}. */
  public void checkpoint(Path dir) throws IOException {
    lock.readLock().lock();
    try (Checkpoint cp = Checkpoint.create(db)) {
      cp.createCheckpoint(dir.toString());
    } catch (RocksDBException e) {
      throw new IOException("checkpoint to " + dir + " failed: " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Replaces the whole database with the files of a checkpoint (after a snapshot was installed
   * from the leader, or to roll forward on start). Readers wait while it happens.
   *
   * <p>Two checks, because RocksDB alone is not enough: every block checksum of the checkpoint
   * before the current database is dropped, and, after loading, that the state is at exactly
   * {@code expectedAppliedIndex} (the index the snapshot's name states). The second catches a
   * damaged last MANIFEST record, which RocksDB treats as a torn tail and silently drops, so that
   * an older state would load without any checksum error.
   *
   * @throws IOException when the checkpoint is damaged; the database is then closed
   */
  public void replaceWith(Path checkpointDir, long expectedAppliedIndex) throws IOException {
    verifyCheckpoint(checkpointDir);
    lock.writeLock().lock();
    try {
      closeDb();
      FileTrees.deleteRecursively(dbDir);
      FileTrees.copyTree(checkpointDir, dbDir, name -> !name.endsWith(".md5"));
      openDb();
      if (applied.index() != expectedAppliedIndex) {
        long found = applied.index();
        closeDb();
        throw new StorageCorruptException("snapshot " + checkpointDir + " is corrupt, refusing it: it holds applied index "
            + found + " but is the snapshot of index " + expectedAppliedIndex);
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Checks every block checksum of a checkpoint (RocksDB's CRC32C on each block, and the
   * manifest's record CRCs on open) without modifying it.
   *
   * @throws IOException naming the checkpoint when any file is unreadable or a checksum is wrong
   */
  public static void verifyCheckpoint(Path checkpointDir) throws IOException {
    try (Options o = new Options().setParanoidChecks(true);
         RocksDB ro = RocksDB.openReadOnly(o, checkpointDir.toString())) {
      ro.verifyChecksum();
    } catch (RocksDBException e) {
      throw new StorageCorruptException("snapshot " + checkpointDir + " is corrupt or unreadable, refusing to load it: "
          + e.getMessage(), e);
    }
  }

  /**
   * Reads every block of the live database and checks its checksum (RocksDB's CRC32C), so that a
   * damaged file is found on start rather than by the first read that lands on it. Costs one read
   * of the whole database.
   *
   * @throws StorageCorruptException when a checksum is wrong or a file is missing or unreadable
   */
  public void verifyChecksums() throws IOException {
    lock.readLock().lock();
    try {
      db.verifyChecksum();
    } catch (RocksDBException e) {
      throw new StorageCorruptException("state database in " + dbDir + " is corrupt: " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** RocksDB says the bytes are bad (Corruption), as opposed to an environment problem (lock, I/O, space). */
  private static boolean isCorruption(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.Corruption;
  }

  private void closeDb() {
    if (db != null) {
      db.close();
      db = null;
    }
    if (options != null) {
      options.close();
      options = null;
    }
  }

  /**
   * Flushes the memtables (the WAL is off, so this is what makes the applied state durable without
   * a replay of the Raft log on the next start), then closes the database.
   */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (db != null) {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
          db.flush(flush);
        } catch (RocksDBException e) {
          // Not fatal: the Raft log still holds every applied entry and is replayed on start.
          LOG.warn("flushing RocksDB in {} before closing failed: {}", dbDir, e.getMessage());
        }
      }
      closeDb();
    } finally {
      lock.writeLock().unlock();
    }
  }
}
