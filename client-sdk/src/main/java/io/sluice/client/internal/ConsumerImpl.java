package io.sluice.client.internal;

import com.google.protobuf.ByteString;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.ListOffsetsResponse;
import io.sluice.api.v1.PartitionOffsets;
import io.sluice.api.v1.PartitionRef;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.client.Admin;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerGroupMetadata;
import io.sluice.client.ConsumerRebalanceListener;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.CorruptRecordException;
import io.sluice.client.InvalidRequestException;
import io.sluice.client.PartitionInfo;
import io.sluice.client.SluiceException;
import io.sluice.client.TopicInfo;
import io.sluice.client.TopicPartition;
import io.sluice.client.WriteOutcome;
import io.sluice.protocol.CorruptBatchException;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Consumer}: one FetchRequest per poll round for every assigned partition, long-polling
 * on the server, failing over to the next node when one is unreachable. NOT thread-safe.
 */
public final class ConsumerImpl implements Consumer {
  private static final Logger log = LoggerFactory.getLogger(ConsumerImpl.class);

  private final ClientContext ctx;
  private final Admin admin;
  private final ConsumerConfig config;
  private final Map<TopicPartition, Long> positions = new LinkedHashMap<>();
  /** Index into the metadata's address list of the node to fetch from; moves on failure. */
  private int nodeIndex;
  private boolean closed;
  /** The open stream, if any; dropped whenever the positions change other than by poll. */
  private ConsumerStream stream;
  /** False once a node answered UNIMPLEMENTED to Subscribe: fall back to fetches. */
  private boolean streamingSupported = true;

  // Group consumption (null / empty without subscribe).
  private static final long GROUP_POLL_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final long GROUP_WAIT_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private final GroupMember group;
  private List<String> subscription;
  private ConsumerRebalanceListener listener = ConsumerRebalanceListener.NONE;
  /** Join (or rejoin) the group before anything else. */
  private boolean needJoin;
  /** Joined; waiting (heartbeating) until the group has the next generation. */
  private boolean awaitingAssignment;
  /** The partitions the group gave this consumer in the adopted generation. */
  private final Set<TopicPartition> groupAssignment = new LinkedHashSet<>();
  /** Positions as last committed (auto-commit sends only what moved). */
  private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
  private long nextAutoCommitNanos;

  public ConsumerImpl(ClientContext ctx, Admin admin, ConsumerConfig config) {
    this.ctx = ctx;
    this.admin = admin;
    this.config = config;
    this.group = config.groupId() == null ? null : new GroupMember(ctx, config);
  }

  @Override
  public void subscribe(Collection<String> topics, ConsumerRebalanceListener listener) {
    ensureOpen();
    if (group == null) {
      throw new IllegalStateException("subscribe needs a consumer group: set ConsumerConfig.Builder.groupId");
    }
    List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(topics));
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("subscribe to at least one topic (or call unsubscribe)");
    }
    for (String t : sorted) {
      String problem = io.sluice.protocol.TopicNames.problem(t);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    this.listener = Objects.requireNonNull(listener, "listener");
    if (!sorted.equals(subscription)) {
      subscription = sorted;
      if (!group.isMember()) {
        positions.clear(); // a manual assignment gives way to the group's
        dropStream();
      }
      needJoin = true; // a member rejoins with its new topics; the group rebalances
    }
  }

  @Override
  public void unsubscribe() {
    ensureOpen();
    if (group != null && subscription != null) {
      revoke(true);
      group.leave();
      subscription = null;
      needJoin = false;
      awaitingAssignment = false;
    }
    positions.clear();
    dropStream();
  }

  @Override
  public Set<TopicPartition> assignment() {
    ensureOpen();
    return Set.copyOf(positions.keySet());
  }

  @Override
  public void commitSync() {
    commitSync(currentPositions());
  }

  @Override
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    ensureOpen();
    Futures.join(commitAsync(offsets));
  }

  @Override
  public CompletableFuture<Void> commitAsync() {
    return commitAsync(currentPositions());
  }

  @Override
  public CompletableFuture<Void> commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    ensureOpen();
    if (group == null) {
      throw new IllegalStateException("commits need a consumer group: set ConsumerConfig.Builder.groupId");
    }
    if (offsets.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    Map<TopicPartition, OffsetAndMetadata> copy = new LinkedHashMap<>(offsets);
    return group.commit(copy).thenRun(() -> {
      synchronized (lastCommitted) {
        copy.forEach((tp, o) -> lastCommitted.merge(tp, o.offset(), Math::max));
      }
    });
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> committed(Collection<TopicPartition> partitions) {
    ensureOpen();
    if (group == null) {
      throw new IllegalStateException("committed offsets need a consumer group: set ConsumerConfig.Builder.groupId");
    }
    return group.committed(partitions, 0);
  }

  @Override
  public ConsumerGroupMetadata groupMetadata() {
    ensureOpen();
    if (group == null || !group.isMember() || group.generation() == 0) {
      throw new IllegalStateException("the consumer is not a group member with an assignment (subscribe and poll first)");
    }
    return new ConsumerGroupMetadata(group.groupId(), group.memberId(), group.generation());
  }

  private Map<TopicPartition, OffsetAndMetadata> currentPositions() {
    Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
    positions.forEach((tp, offset) -> out.put(tp, OffsetAndMetadata.of(offset)));
    return out;
  }

  /**
   * Brings the group membership up to date: joins, or on a rebalance commits (auto-commit), calls
   * onPartitionsRevoked and rejoins; once the group has its next generation, takes the new
   * assignment at the committed offsets and calls onPartitionsAssigned.
   *
   * @return true when this consumer holds its assignment for the group's current generation
   */
  private boolean ensureGroupAssignment(long deadline) {
    while (true) {
      if (group.lost()) {
        log.info("group {}: member {} was expired; its partitions are gone, joining again", group.groupId(),
            group.memberId());
        group.clearFlags();
        revoke(false); // the generation is over: a commit now would be fenced
        group.reset();
        needJoin = true;
      } else if (group.rejoinRequired() && !awaitingAssignment) {
        group.clearFlags();
        revoke(true);
        needJoin = true;
      }
      try {
        if (needJoin) {
          revoke(true); // e.g. new topics: give up the partitions (committing them) before rejoining
          io.sluice.api.v1.JoinGroupResponse r = group.join(subscription);
          needJoin = false;
          awaitingAssignment = true;
          if (r.getState() == io.sluice.api.v1.GroupState.GROUP_STATE_STABLE) {
            adopt(r.getGeneration(), Convert.partitions(r.getAssignmentList()), r.getAppliedIndex());
            return true;
          }
        }
        if (!awaitingAssignment) {
          return true;
        }
        io.sluice.api.v1.HeartbeatResponse h = group.heartbeatNow();
        if (h.getRejoinRequired()) {
          needJoin = true; // another rebalance began before this one ended
          continue;
        }
        if (h.getState() == io.sluice.api.v1.GroupState.GROUP_STATE_STABLE) {
          adopt(h.getGeneration(), Convert.partitions(h.getAssignmentList()), h.getAppliedIndex());
          return true;
        }
      } catch (io.sluice.client.CommitFailedException e) {
        if ("UNKNOWN_MEMBER_ID".equals(e.reason())) {
          group.reset();
          needJoin = true;
          continue;
        }
        throw e;
      } catch (SluiceException e) {
        if (!e.retriable() && !(e instanceof io.sluice.client.IndeterminateException)) {
          throw e;
        }
        log.debug("group {}: not ready yet: {}", group.groupId(), e.getMessage());
      }
      if (deadline - System.nanoTime() <= 0) {
        return false;
      }
      sleepUntil(Math.min(deadline, System.nanoTime() + GROUP_WAIT_STEP_NANOS));
    }
  }

  /** Takes the assignment of {@code generation}, each partition at its committed offset. */
  private void adopt(int generation, List<TopicPartition> assignment, long appliedIndex) {
    // Read at or after the entry that made this generation: every commit of the previous owners
    // that was accepted is in it, and any later commit of theirs was fenced.
    Map<TopicPartition, OffsetAndMetadata> committed = assignment.isEmpty() ? Map.of()
        : group.committed(assignment, appliedIndex);
    List<TopicPartition> missing = assignment.stream().filter(tp -> !committed.containsKey(tp)).toList();
    Map<TopicPartition, Long> start = missing.isEmpty() ? Map.of() : offsetsOf(missing,
        config.offsetResetPolicy() == io.sluice.client.OffsetResetPolicy.EARLIEST
            ? PartitionInfo::logStartOffset : PartitionInfo::endOffset);
    // Only now that nothing can fail: a failed read above leaves the consumer waiting, to retry.
    awaitingAssignment = false;
    group.adopt(generation);
    group.clearFlags();
    positions.clear();
    groupAssignment.clear();
    synchronized (lastCommitted) {
      lastCommitted.clear();
      for (TopicPartition tp : assignment) {
        OffsetAndMetadata c = committed.get(tp);
        positions.put(tp, c != null ? c.offset() : start.get(tp));
        if (c != null) {
          lastCommitted.put(tp, c.offset());
        }
      }
    }
    groupAssignment.addAll(assignment);
    dropStream();
    nextAutoCommitNanos = System.nanoTime() + config.autoCommitInterval().toNanos();
    log.info("group {}: member {} has generation {} with partitions {}", group.groupId(), group.memberId(),
        generation, assignment);
    listener.onPartitionsAssigned(List.copyOf(assignment));
  }

  /** Gives up the current partitions: auto-commit (if {@code commit}), then onPartitionsRevoked. */
  private void revoke(boolean commit) {
    if (groupAssignment.isEmpty() && positions.isEmpty()) {
      return;
    }
    if (commit && config.enableAutoCommit()) {
      commitQuietly();
    }
    List<TopicPartition> revoked = List.copyOf(groupAssignment);
    listener.onPartitionsRevoked(revoked);
    positions.clear();
    groupAssignment.clear();
    dropStream();
  }

  private void commitQuietly() {
    Map<TopicPartition, OffsetAndMetadata> moved = movedPositions();
    if (moved.isEmpty() || group.generation() == 0) {
      return;
    }
    try {
      commitSync(moved);
    } catch (SluiceException e) {
      log.warn("group {}: committing {} failed: {}; records after the last commit will be delivered again",
          group.groupId(), moved, e.getMessage());
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> movedPositions() {
    Map<TopicPartition, OffsetAndMetadata> moved = new LinkedHashMap<>();
    synchronized (lastCommitted) {
      positions.forEach((tp, offset) -> {
        Long c = lastCommitted.get(tp);
        if (c == null || c < offset) {
          moved.put(tp, OffsetAndMetadata.of(offset));
        }
      });
    }
    return moved;
  }

  private void maybeAutoCommit() {
    if (!config.enableAutoCommit() || awaitingAssignment || group.generation() == 0
        || System.nanoTime() - nextAutoCommitNanos < 0) {
      return;
    }
    nextAutoCommitNanos = System.nanoTime() + config.autoCommitInterval().toNanos();
    Map<TopicPartition, OffsetAndMetadata> moved = movedPositions();
    if (!moved.isEmpty()) {
      commitAsync(moved).exceptionally(e -> {
        log.debug("group {}: auto-commit failed: {}", group.groupId(), e.toString());
        return null;
      });
    }
  }

  private List<ConsumerRecord> pollGroup(long deadline) {
    if (subscription == null) {
      throw new IllegalStateException("no topic is subscribed and no partition is assigned; call subscribe() or assign() first");
    }
    do {
      boolean ready = ensureGroupAssignment(deadline);
      if (ready) {
        maybeAutoCommit();
      }
      if (ready && !positions.isEmpty()) {
        long slice = Math.min(deadline, System.nanoTime() + GROUP_POLL_SLICE_NANOS);
        List<ConsumerRecord> records = config.streaming() && streamingSupported ? pollStream(slice) : pollFetch(slice);
        if (!records.isEmpty()) {
          return records;
        }
      } else if (ready) {
        sleepUntil(Math.min(deadline, System.nanoTime() + GROUP_POLL_SLICE_NANOS));
      }
    } while (deadline - System.nanoTime() > 0);
    return List.of();
  }

  @Override
  public void assign(Collection<TopicPartition> partitions) {
    ensureOpen();
    if (subscription != null) {
      throw new IllegalStateException("the consumer is subscribed to " + subscription + "; unsubscribe() before assign()");
    }
    Map<TopicPartition, Long> next = new LinkedHashMap<>();
    for (TopicPartition tp : partitions) {
      next.put(Objects.requireNonNull(tp, "partition"), positions.getOrDefault(tp, 0L));
    }
    positions.clear();
    positions.putAll(next);
    dropStream();
  }

  @Override
  public List<TopicPartition> partitionsFor(String topic) {
    ensureOpen();
    List<TopicPartition> out = new ArrayList<>();
    for (PartitionInfo p : describe(topic).partitions()) {
      out.add(new TopicPartition(topic, p.partition()));
    }
    return out;
  }

  @Override
  public void seek(TopicPartition tp, long offset) {
    ensureAssigned(tp);
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative, got " + offset);
    }
    positions.put(tp, offset);
    dropStream();
  }

  @Override
  public void seekToBeginning(Collection<TopicPartition> tps) {
    tps.forEach(this::ensureAssigned);
    offsetsOf(tps, PartitionInfo::logStartOffset).forEach(this::seek);
  }

  @Override
  public void seekToEnd(Collection<TopicPartition> tps) {
    tps.forEach(this::ensureAssigned);
    offsetsOf(tps, PartitionInfo::endOffset).forEach(this::seek);
  }

  @Override
  public long position(TopicPartition tp) {
    ensureAssigned(tp);
    return positions.get(tp);
  }

  @Override
  public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> tps) {
    ensureOpen();
    // Linearizable (ReadIndex): includes every write acknowledged before this call, whichever
    // node answers, so a reader that stops at these offsets never stops short.
    ListOffsetsRequest.Builder req = ListOffsetsRequest.newBuilder().setLinearizable(true);
    for (TopicPartition tp : tps) {
      Objects.requireNonNull(tp, "partition");
      req.addPartitions(PartitionRef.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()));
    }
    ListOffsetsRequest request = req.build();
    ListOffsetsResponse resp = Futures.join(RetryingCall.run(ctx, RetryingCall.Target.ANY, false, "endOffsets",
        (address, timeout) -> ctx.rpc().call(address, SluiceMethods.LIST_OFFSETS, request, timeout, false)));
    Map<TopicPartition, Long> out = new LinkedHashMap<>();
    for (PartitionOffsets p : resp.getPartitionsList()) {
      out.put(new TopicPartition(p.getTopic(), p.getPartition()), p.getEndOffset());
    }
    return out;
  }

  private Map<TopicPartition, Long> offsetsOf(Collection<TopicPartition> tps, ToLongFunction<PartitionInfo> field) {
    Map<String, TopicInfo> topics = new HashMap<>();
    Map<TopicPartition, Long> out = new LinkedHashMap<>();
    for (TopicPartition tp : tps) {
      Objects.requireNonNull(tp, "partition");
      TopicInfo info = topics.computeIfAbsent(tp.topic(), this::describe);
      PartitionInfo p = info.partitions().stream().filter(x -> x.partition() == tp.partition()).findFirst()
          .orElseThrow(() -> new InvalidRequestException("topic " + tp.topic() + " has no partition "
              + tp.partition(), null, "UNKNOWN_PARTITION", WriteOutcome.NOT_A_WRITE, null));
      out.put(tp, field.applyAsLong(p));
    }
    return out;
  }

  private TopicInfo describe(String topic) {
    return Futures.join(admin.describeTopic(topic));
  }

  private void dropStream() {
    if (stream != null) {
      stream.close();
      stream = null;
    }
  }

  @Override
  public List<ConsumerRecord> poll(Duration timeout) {
    ensureOpen();
    long deadline = System.nanoTime() + Math.max(0, timeout.toNanos());
    if (group != null && subscription != null) {
      return pollGroup(deadline);
    }
    if (positions.isEmpty()) {
      throw new IllegalStateException("no partition is assigned; call assign() or subscribe() first");
    }
    return config.streaming() && streamingSupported ? pollStream(deadline) : pollFetch(deadline);
  }

  /** Takes pushed batches from the stream, reopening it on another node if it breaks. */
  private List<ConsumerRecord> pollStream(long deadline) {
    int failures = 0;
    do {
      if (stream == null) {
        List<String> nodes = ctx.metadata().addresses();
        String node = nodes.get(Math.floorMod(nodeIndex, nodes.size()));
        stream = new ConsumerStream(ctx.rpc().streamChannel(node), node, positions, config.fetchMaxBytes());
      }
      Object item;
      try {
        item = stream.take(deadline - System.nanoTime());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SluiceException("interrupted while polling", null, null, WriteOutcome.NOT_A_WRITE, false, e);
      }
      if (item == null) {
        break;
      }
      if (item instanceof ConsumerStream.Ended ended) {
        String node = stream.address;
        dropStream();
        SluiceException e = ended.cause() == null
            ? new io.sluice.client.UnavailableException("stream from " + node + " ended", null,
                WriteOutcome.NOT_A_WRITE, null)
            : ErrorMapper.map(ended.cause(), false, true, node);
        if (e.code() == io.grpc.Status.Code.UNIMPLEMENTED) {
          log.info("{} does not offer Subscribe; polling with fetches instead", node);
          streamingSupported = false;
          return pollFetch(deadline);
        }
        // A read stream is always safe to reopen elsewhere; CANCELLED here comes from the node
        // (one that is stopping resets its streams), since a stream this side cancels is never read again.
        if (!e.retriable() && e.code() != io.grpc.Status.Code.CANCELLED) {
          throw e;
        }
        log.debug("stream from {} broke, moving to another node: {}", node, e.getMessage());
        ctx.metadata().nodeFailed(node);
        nodeIndex++;
        sleepUntil(Math.min(deadline, System.nanoTime() + ctx.backoffNanos(++failures)));
        continue;
      }
      List<PartitionData> ready = new ArrayList<>();
      ready.add((PartitionData) item);
      while (stream.peek() instanceof PartitionData) {
        ready.add((PartitionData) stream.takeNow()); // what already arrived, without waiting; an end stays queued
      }
      List<ConsumerRecord> records = take(ready);
      long consumed = 0;
      for (PartitionData pd : ready) {
        consumed += ConsumerStream.bytesOf(pd);
      }
      stream.grant(consumed);
      if (!records.isEmpty()) {
        return records;
      }
    } while (deadline - System.nanoTime() > 0);
    return List.of();
  }

  private List<ConsumerRecord> pollFetch(long deadline) {
    if (ctx.metadata().leaderAddress() == null) {
      ctx.metadata().refresh(); // in the background: later rounds fetch from the leader once known
    }
    int failures = 0;
    do {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(Math.max(0, deadline - System.nanoTime()));
      int waitMs = (int) Math.min(config.fetchMaxWait().toMillis(), remainingMs);
      List<String> nodes = ctx.metadata().addresses();
      String node = nodes.get(Math.floorMod(nodeIndex, nodes.size()));
      FetchResponse resp;
      try {
        resp = Futures.join(ctx.rpc().call(node, SluiceMethods.FETCH, request(waitMs),
            ctx.requestTimeout().plusMillis(waitMs), false));
      } catch (SluiceException e) {
        if (!e.retriable()) {
          throw e;
        }
        log.debug("fetch from {} failed, trying another node: {}", node, e.getMessage());
        ctx.metadata().nodeFailed(node);
        nodeIndex++;
        if (++failures % nodes.size() == 0) {
          sleepUntil(Math.min(deadline, System.nanoTime() + ctx.backoffNanos(failures / nodes.size())));
        }
        continue;
      }
      List<ConsumerRecord> records = take(resp.getPartitionsList());
      if (!records.isEmpty()) {
        return records;
      }
    } while (deadline - System.nanoTime() > 0);
    return List.of();
  }

  private FetchRequest request(int waitMs) {
    FetchRequest.Builder req = FetchRequest.newBuilder().setMaxBytes(config.fetchMaxBytes()).setMaxWaitMs(waitMs);
    positions.forEach((tp, offset) -> req.addPartitions(PartitionFetch.newBuilder().setTopic(tp.topic())
        .setPartition(tp.partition()).setOffset(offset).setMaxBytes(config.partitionFetchMaxBytes())));
    return req.build();
  }

  /**
   * Decodes answered batches (verifying every batch's CRC) and advances the positions past the
   * records returned. A partition may appear several times (consecutive stream pushes); each
   * continues from where the previous one left off. Nothing moves if any batch is corrupt.
   */
  private List<ConsumerRecord> take(List<PartitionData> answered) {
    List<ConsumerRecord> out = new ArrayList<>();
    Map<TopicPartition, Long> next = new HashMap<>();
    for (PartitionData pd : answered) {
      TopicPartition tp = new TopicPartition(pd.getTopic(), pd.getPartition());
      Long position = next.getOrDefault(tp, positions.get(tp));
      if (position == null) {
        continue; // not ours
      }
      long nextOffset = position;
      for (ByteString batch : pd.getBatchesList()) {
        for (Record r : decode(tp, nextOffset, batch)) {
          if (r.offset() > nextOffset) {
            // Offsets are dense and the node answers from the batch holding the position.
            throw new IllegalStateException(tp + ": expected offset " + nextOffset + " but the node sent "
                + r.offset() + " (a gap in the answer)");
          }
          if (r.offset() == nextOffset) {
            out.add(new ConsumerRecord(tp.topic(), tp.partition(), r.offset(), r.timestampMs(), r.key(), r.value(),
                r.headers()));
            nextOffset = r.offset() + 1;
          }
        }
      }
      next.put(tp, nextOffset);
    }
    positions.putAll(next);
    return out;
  }

  private static List<Record> decode(TopicPartition tp, long position, ByteString batch) {
    try {
      return RecordBatch.read(batch.asReadOnlyByteBuffer());
    } catch (CorruptBatchException | IndexOutOfBoundsException | IllegalArgumentException e) {
      throw new CorruptRecordException("corrupt record batch in " + tp + " at or after offset " + position
          + ": " + e.getMessage(), e);
    }
  }

  private static void sleepUntil(long deadlineNanos) {
    long nanos = deadlineNanos - System.nanoTime();
    if (nanos > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(nanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SluiceException("interrupted while polling", null, null,
            WriteOutcome.NOT_A_WRITE, false, e);
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (group != null && subscription != null) {
      try {
        if (config.enableAutoCommit() && !awaitingAssignment) {
          commitQuietly();
        }
      } finally {
        group.leave();
      }
    } else if (group != null) {
      group.stopHeartbeats();
    }
    dropStream();
    closed = true;
    positions.clear();
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the consumer is closed");
    }
  }

  private void ensureAssigned(TopicPartition tp) {
    ensureOpen();
    if (!positions.containsKey(tp)) {
      throw new IllegalStateException(tp + " is not assigned to this consumer");
    }
  }
}
