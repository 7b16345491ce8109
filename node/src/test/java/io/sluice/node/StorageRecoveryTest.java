package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.client.SluiceClient;
import io.sluice.protocol.RecordBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A node whose storage is damaged at rest (bytes flipped while it is stopped) refuses the bad
 * data and, with the default {@code storage.damage.recovery=auto}, recovers from its peers while
 * the cluster keeps serving writes: afterwards it is a voter again and stores exactly what the
 * others store, every acknowledged record included. Without a reachable majority it refuses to
 * start and leaves the membership alone; a single-node cluster refuses. (The manual mode is
 * {@link CorruptLogTest}.)
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class StorageRecoveryTest {
  private static final Duration WAIT = Duration.ofSeconds(120);
  /**
   * Recoveries bounded well below the test timeout: one that cannot finish fails its start with the
   * cluster's last answers in the message (the default, 10 minutes, would only hang the test).
   */
  private static final String RECOVERY_BOUND_MS = "120000";
  /** Small segments, so that data spans several closed ones; snapshots only when asked for. */
  private static final Map<String, String> SMALL_LOG = Map.of("raft.log.segment.bytes.max", "65536",
      "raft.snapshot.threshold.entries", "1000000", "storage.damage.recovery.timeout.ms", RECOVERY_BOUND_MS);

  @TempDir
  Path tmp;

  @Test
  void aDamagedLogSegmentIsRefusedAndTheNodeRecoversFromItsPeersWhileWritesGoOn() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, SMALL_LOG); SluiceClient client = client(c)) {
      produceLargeValues(c, c.awaitLeader(WAIT)); // several closed segments
      client.admin().createTopic("r", 2).get(30, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "r");
      String victim;
      try {
        producer.awaitMoreAcked(400, WAIT, "before the damage");
        victim = follower(c);
        awaitContactsSaved(c, victim);
        c.stop(victim);
        Path segment = closedSegment(c.root.resolve(victim));
        flipMiddleByte(segment);
        producer.awaitMoreAcked(100, WAIT, "while " + victim + " is down");

        List<ILoggingEvent> log = captureLog();
        SluiceNode back = c.startNode(victim); // returns once recovered: a caught-up voter again
        assertRefusedAndRecovered(c, victim, back, log, "checksum");
        producer.awaitMoreAcked(200, WAIT, "after " + victim + " recovered");
      } finally {
        producer.close();
      }
      System.out.println("damaged log segment: " + producer.summary());
      assertEquals(producer.sent.get(), producer.ackedCount(), "every send was acknowledged: " + producer.summary());
      Replicas.check(c, "r", producer.acked.values(), producer.rejected);
    }
  }

  @Test
  void aDamagedSnapshotIsRefusedAndTheNodeRecoversFromTheLeadersSnapshot() throws Exception {
    // Frequent snapshots, and the log purged behind them: the rejoiner needs the leader's snapshot.
    Map<String, String> config = Map.of("raft.snapshot.threshold.entries", "40", "raft.log.purge.gap.entries", "5",
        "raft.log.segment.bytes.max", "16384", "storage.damage.recovery.timeout.ms", RECOVERY_BOUND_MS);
    try (TestCluster c = TestCluster.start(tmp, 3, config); SluiceClient client = client(c)) {
      client.admin().createTopic("s", 2).get(30, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "s");
      String victim;
      try {
        producer.awaitMoreAcked(400, WAIT, "before the snapshots");
        victim = follower(c);
        awaitContactsSaved(c, victim);
        SluiceNode leader = c.currentLeader();
        SluiceNode victimNode = c.nodes.get(victim);
        TestCluster.await(WAIT, victim + " to take a snapshot", () -> victimNode.stateMachine().latestSnapshotIndex() > 0);
        TestCluster.await(WAIT, "the leader to purge the start of its log",
            () -> leader.division().getRaftLog().getStartIndex() > 1);
        c.stop(victim);
        Path sst = snapshotSst(c.root.resolve(victim));
        // A checkpoint shares its SST files with the live database (hard links): give the
        // snapshot its own copy first, so that only the snapshot is damaged.
        Path copy = sst.resolveSibling(sst.getFileName() + ".copy");
        Files.copy(sst, copy);
        Files.move(copy, sst, StandardCopyOption.REPLACE_EXISTING);
        flipMiddleByte(sst);
        producer.awaitMoreAcked(100, WAIT, "while " + victim + " is down");

        List<ILoggingEvent> log = captureLog();
        SluiceNode back = c.startNode(victim);
        assertRefusedAndRecovered(c, victim, back, log, "snapshot");
        assertTrue(back.stateMachine().latestSnapshotIndex() > 0, victim + " caught up from the leader's snapshot");
        producer.awaitMoreAcked(200, WAIT, "after " + victim + " recovered");
      } finally {
        producer.close();
      }
      System.out.println("damaged snapshot: " + producer.summary());
      assertEquals(producer.sent.get(), producer.ackedCount(), "every send was acknowledged: " + producer.summary());
      Replicas.check(c, "s", producer.acked.values(), producer.rejected);
    }
  }

  /**
   * 2 of 3 down (the damaged node and another): removing the damaged node's old identity would
   * leave one voter of two reachable, so the recovery cannot start. The node refuses to start
   * after its timeout, having changed nothing (membership still three voters, storage in place);
   * once the other node is back the cluster serves, and restarting the damaged node recovers.
   */
  @Test
  void withoutAReachableMajorityTheNodeRefusesAndRecoversOnceTheMajorityIsBack() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, SMALL_LOG); SluiceClient client = client(c)) {
      produceLargeValues(c, c.awaitLeader(WAIT));
      client.admin().createTopic("q", 1).get(30, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "q");
      try {
        producer.awaitMoreAcked(300, WAIT, "before the damage");
        String victim = follower(c);
        String other = c.nodes.keySet().stream().filter(id -> !id.equals(victim)).findFirst().orElseThrow();
        awaitContactsSaved(c, victim);
        c.stop(victim);
        flipMiddleByte(closedSegment(c.root.resolve(victim)));
        c.stop(other);
        // Until the survivor has not heard from the others for an election timeout, it may still
        // count them as reachable and start the removal (safe too, but then it completes later).
        SluiceNode survivor = c.nodes.values().iterator().next();
        TestCluster.await(WAIT, "the survivor to notice it is alone", () -> survivor.leaderId().isEmpty()
            || !survivor.isLeader()
            || survivor.membership().followers().stream().allMatch(f -> f.lastContactMs() < 0 || f.lastContactMs() > 3000));
        c.configs.get(victim).put("storage.damage.recovery.timeout.ms", "8000");
        IOException refused = assertThrows(IOException.class, () -> c.startNode(victim));
        System.out.println("without a majority: " + refused.getMessage());
        assertTrue(refused.getMessage().contains("refuses to start") && refused.getMessage().contains("damaged")
            && refused.getMessage().contains("did not finish"), refused.getMessage());
        assertFalse(c.nodes.containsKey(victim));
        assertTrue(Files.exists(c.root.resolve(victim).resolve(StorageRecovery.MARKER)), "the recovery is pending");
        assertTrue(damagedDirs(c.root.resolve(victim)).isEmpty(), "nothing moved before the old identity is removed");

        c.startNode(other); // the majority is back: the cluster serves, its membership unchanged
        c.awaitLeader(WAIT);
        assertEquals(3, voters(c.currentLeader()).size(), "membership unchanged: " + voters(c.leader().get()));
        producer.awaitMoreAcked(200, WAIT, "once the majority is back");

        c.configs.get(victim).put("storage.damage.recovery.timeout.ms", RECOVERY_BOUND_MS);
        List<ILoggingEvent> log = captureLog();
        SluiceNode back = c.startNode(victim); // goes on with the pending recovery
        assertRefusedAndRecovered(c, victim, back, log, "checksum");
        producer.awaitMoreAcked(200, WAIT, "after " + victim + " recovered");
      } finally {
        producer.close();
      }
      System.out.println("recovery after the majority came back: " + producer.summary());
      Replicas.check(c, "q", producer.acked.values(), producer.rejected);
    }
  }

  /**
   * A recovery interrupted after the damaged storage was moved aside (phase REBUILD: raft/ and
   * state/ hold at most a partial copy from the peers): the next start never runs from that
   * copy; it discards it, has the old identity removed, and rejoins.
   */
  @Test
  void anInterruptedRebuildIsDiscardedAndDoneAgainOnRestart() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, SMALL_LOG); SluiceClient client = client(c)) {
      client.admin().createTopic("p", 2).get(30, TimeUnit.SECONDS);
      SteadyProducer producer = new SteadyProducer(client, "p");
      try {
        producer.awaitMoreAcked(300, WAIT, "before the stop");
        String victim = follower(c);
        awaitContactsSaved(c, victim);
        c.stop(victim);
        new StorageRecovery(NodeConfig.of(c.configs.get(victim))).mark(StorageRecovery.Phase.REBUILD,
            "test: a rebuild interrupted", "");
        List<ILoggingEvent> log = captureLog();
        SluiceNode back = c.startNode(victim);
        assertTrue(log.stream().anyMatch(e -> e.getFormattedMessage().contains("recovered from damaged storage")),
            "the pending recovery ran");
        assertFalse(Files.exists(c.root.resolve(victim).resolve(StorageRecovery.MARKER)));
        assertTrue(damagedDirs(c.root.resolve(victim)).isEmpty(), "a partial copy is discarded, not kept");
        assertEquals(List.of("n1", "n2", "n3"), voters(back));
        producer.awaitMoreAcked(200, WAIT, "after " + victim + " rejoined");
      } finally {
        producer.close();
      }
      assertEquals(producer.sent.get(), producer.ackedCount(), "every send was acknowledged: " + producer.summary());
      Replicas.check(c, "p", producer.acked.values(), producer.rejected);
    }
  }

  @Test
  void aSingleNodeClusterRefusesAndLeavesItsStorageAlone() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 1, SMALL_LOG)) {
      produceLargeValues(c, "n1");
      awaitContactsSaved(c, "n1");
      c.stop("n1");
      Path segment = closedSegment(c.root.resolve("n1"));
      byte[] original = Files.readAllBytes(segment);
      // In an entry (its CRC fails), then in the segment's header (Ratis: CorruptedFileException).
      for (int at : new int[] {original.length / 2, 0}) {
        byte[] bytes = original.clone();
        bytes[at] ^= 0x5a;
        Files.write(segment, bytes);
        IOException refused = assertThrows(IOException.class, () -> c.startNode("n1"));
        System.out.println("single node, byte " + at + " flipped: " + refused.getMessage());
        assertTrue(refused.getMessage().contains("refuses to start") && refused.getMessage().contains("damaged")
            && refused.getMessage().contains("cannot recover from peers"), refused.getMessage());
        assertTrue(Files.exists(segment), "the damaged storage stays where it was");
        assertFalse(Files.exists(c.root.resolve("n1").resolve(StorageRecovery.MARKER)));
        assertTrue(damagedDirs(c.root.resolve("n1")).isEmpty());
      }
    }
  }

  // -------------------------------------------------------------------------------------------

  private static SluiceClient client(TestCluster c) {
    return SluiceClient.builder().bootstrap(c.bootstrap()).requestTimeout(Duration.ofSeconds(10)).build();
  }

  private static String follower(TestCluster c) {
    String leader = c.awaitLeader(WAIT);
    return c.nodes.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
  }

  private static List<String> voters(SluiceNode n) {
    return n.membership().members().stream().filter(m -> !m.listener()).map(Membership.Member::id).sorted().toList();
  }

  /** The node keeps the cluster's client addresses outside its storage (what a recovery reads). */
  private static void awaitContactsSaved(TestCluster c, String id) {
    TestCluster.await(WAIT, id + " to save the cluster's client addresses", () ->
        StorageRecovery.loadContacts(c.root.resolve(id)).keySet().containsAll(c.configs.keySet()));
  }

  private static void assertRefusedAndRecovered(TestCluster c, String victim, SluiceNode back,
      List<ILoggingEvent> log, String damageWord) throws IOException {
    Path dataDir = c.root.resolve(victim);
    Optional<ILoggingEvent> refusal = log.stream().filter(e -> e.getLevel() == Level.ERROR
        && e.getFormattedMessage().contains("damaged") && e.getFormattedMessage().contains("Nothing from it was served")).findFirst();
    assertTrue(refusal.isPresent(), "an error line says the storage is damaged and refused");
    assertTrue(refusal.get().getFormattedMessage().toLowerCase().contains(damageWord), refusal.get().getFormattedMessage());
    assertTrue(log.stream().anyMatch(e -> e.getFormattedMessage().contains("recovered from damaged storage")),
        "a line says it recovered");
    List<Path> aside = damagedDirs(dataDir);
    assertEquals(1, aside.size(), "the damaged storage was moved aside once: " + aside);
    assertTrue(Files.isDirectory(aside.get(0).resolve("raft")), "kept for forensics: " + aside.get(0));
    assertFalse(Files.exists(dataDir.resolve(StorageRecovery.MARKER)), "the recovery is finished");
    assertTrue(back.isLeader() || back.leaderId().isPresent());
    assertEquals(List.of("n1", "n2", "n3"), voters(back), victim + " is a voter again");
    long commit = c.currentLeader().division().getRaftLog().getLastCommittedIndex();
    assertTrue(back.core().applied().index() > 0 && back.core().applied().index() <= commit);
  }

  private static List<Path> damagedDirs(Path dataDir) throws IOException {
    try (Stream<Path> list = Files.list(dataDir)) {
      return list.filter(p -> p.getFileName().toString().startsWith(StorageRecovery.DAMAGED_PREFIX)).toList();
    }
  }

  /** Every line logged from now on (the test's own view of what an operator reads). */
  private static List<ILoggingEvent> captureLog() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.list = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    appender.start();
    root.addAppender(appender);
    return appender.list;
  }

  /** The first closed Raft log segment (bytes flipped in its middle cannot pass for a torn tail). */
  static Path closedSegment(Path dataDir) throws IOException {
    try (Stream<Path> walk = Files.walk(dataDir.resolve("raft"))) {
      return walk.filter(p -> p.getFileName().toString().matches("log_\\d+-\\d+")).sorted().findFirst()
          .orElseThrow(() -> new AssertionError("no closed segment under " + dataDir));
    }
  }

  /** The largest SST file of the latest snapshot. */
  private static Path snapshotSst(Path dataDir) throws IOException {
    try (Stream<Path> walk = Files.walk(dataDir.resolve("raft"))) {
      Path snapshot = walk.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+"))
          .max(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().replaceAll(".*_", ""))))
          .orElseThrow(() -> new AssertionError("no snapshot under " + dataDir));
      try (Stream<Path> files = Files.list(snapshot)) {
        return files.filter(p -> p.getFileName().toString().endsWith(".sst")).max(java.util.Comparator.comparingLong(p -> {
          try {
            return Files.size(p);
          } catch (IOException e) {
            return 0;
          }
        })).orElseThrow(() -> new AssertionError("no SST in " + snapshot));
      }
    }
  }

  static void flipMiddleByte(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(file, bytes);
    System.out.println("StorageRecoveryTest: flipped byte " + bytes.length / 2 + " of " + file);
  }

  /** 60 records of 4 KB through the node's client port: several closed 64 KiB segments. */
  private static void produceLargeValues(TestCluster c, String id) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(c.clientAddress(id)).usePlaintext().build();
    try {
      TopicServiceGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS)
          .createTopic(CreateTopicRequest.newBuilder().setName("t").setPartitions(1).build());
      for (int i = 0; i < 60; i++) {
        byte[] batch = RecordBatch.builder().add(1, null, ("v" + i + "x".repeat(4000)).getBytes(StandardCharsets.UTF_8),
            List.of()).build();
        ProduceServiceGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS).produce(ProduceRequest.newBuilder()
            .addBatches(PartitionBatch.newBuilder().setTopic("t").setPartition(0).setRecords(ByteString.copyFrom(batch)))
            .build());
      }
    } finally {
      ch.shutdownNow();
    }
  }
}
