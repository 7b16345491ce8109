package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics a running 3-node cluster exposes on /metrics after known traffic: counts that must
 * match what was sent exactly, Raft series with sane values, and every metric name the Grafana
 * dashboard uses (so the dashboard cannot drift from the code).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MetricsTest {
  private static final int SDK_RECORDS = 500;
  /** Raw produce requests of one record each: one Raft entry each, enough for a snapshot. */
  private static final int RAW_REQUESTS = 30;
  private static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "sluice-dashboard.json");

  @TempDir
  static Path tmp;
  static TestCluster cluster;
  static String leaderId;
  static long rawBytes;

  @BeforeAll
  static void traffic() throws Exception {
    cluster = TestCluster.start(tmp, 3, Map.of("raft.snapshot.threshold.entries", "25"));
    try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.bootstrap())
        .requestTimeout(Duration.ofSeconds(10)).build()) {
      client.admin().createTopic("orders", 3).get(60, TimeUnit.SECONDS);
      client.admin().createTopic("raw", 1).get(60, TimeUnit.SECONDS);
      try (Producer producer = client.newProducer()) {
        List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
        for (int i = 0; i < SDK_RECORDS; i++) {
          sends.add(producer.send(ProducerRecord.of("orders", ("v" + i).getBytes(StandardCharsets.UTF_8))));
        }
        producer.flush();
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      for (boolean streaming : new boolean[] {true, false}) { // both consumption paths
        try (Consumer consumer = client.newConsumer(ConsumerConfig.builder().streaming(streaming).build())) {
          List<TopicPartition> tps = consumer.partitionsFor("orders");
          consumer.assign(tps);
          consumer.seekToBeginning(tps);
          int seen = 0;
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
          while (seen < SDK_RECORDS && System.nanoTime() < deadline) {
            seen += consumer.poll(Duration.ofMillis(500)).size();
          }
          assertEquals(SDK_RECORDS, seen, "consumed every record (streaming=" + streaming + ")");
        }
      }
    }
    // Raw produce requests, each sent again to whoever leads should an election under load move
    // the leader (refused as not written, so counted nowhere as produced).
    Map<String, ManagedChannel> channels = new java.util.HashMap<>();
    try {
      for (int i = 0; i < RAW_REQUESTS; i++) {
        byte[] batch = RecordBatch.builder().add(System.currentTimeMillis(), null,
            ("raw" + i).getBytes(StandardCharsets.UTF_8), List.of()).build();
        rawBytes += batch.length;
        StatusRuntimeException refused = produceOnLeader(channels, request("raw", batch));
        if (refused != null) {
          throw refused;
        }
      }
      byte[] batch = RecordBatch.builder().add(System.currentTimeMillis(), null, new byte[1], List.of()).build();
      StatusRuntimeException refused = produceOnLeader(channels, request("nope", batch));
      assertEquals("UNKNOWN_TOPIC", ErrorDetails.reason(refused), String.valueOf(refused));
    } finally {
      channels.values().forEach(ManagedChannel::shutdownNow);
    }
    cluster.awaitConverged(Duration.ofSeconds(60));
    System.gc(); // so that the JVM's GC pause timer exists (the dashboard shows it)
    TestCluster.await(Duration.ofSeconds(60), "a snapshot on every node, GC metrics, and every node ready",
        () -> cluster.nodes.values().stream().allMatch(n -> {
          Scrape s = Scrape.of(n);
          return !s.find("sluice_snapshots_total").isEmpty() && s.value("sluice_snapshots_total") >= 1
              && !s.find("jvm_gc_pause_seconds_count").isEmpty() && s.value("sluice_node_ready") == 1;
        }));
  }

  /**
   * Sends {@code request} to the node that leads, and again to the next leader while it is refused
   * because leadership moved; remembers in {@link #leaderId} the node that accepted it. Returns
   * the refusal that ended it (null when accepted).
   */
  private static StatusRuntimeException produceOnLeader(Map<String, ManagedChannel> channels, ProduceRequest request)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      String target = cluster.awaitLeader(Duration.ofSeconds(60));
      ManagedChannel channel = channels.computeIfAbsent(target,
          id -> NettyChannelBuilder.forTarget(cluster.clientAddress(id)).usePlaintext().build());
      try {
        ProduceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS).produce(request);
        leaderId = target;
        return null;
      } catch (StatusRuntimeException e) {
        if (!ErrorDetails.leadershipMoved(e) || System.nanoTime() > deadline) {
          return e;
        }
        Thread.sleep(100);
      }
    }
  }

  private static ProduceRequest request(String topic, byte[] batch) {
    return ProduceRequest.newBuilder().addBatches(PartitionBatch.newBuilder()
        .setTopic(topic).setPartition(0).setRecords(ByteString.copyFrom(batch))).build();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static double sum(String name, String... labels) {
    return cluster.nodes.values().stream().mapToDouble(n -> {
      Scrape s = Scrape.of(n);
      return s.find(name, labels).isEmpty() ? 0 : s.value(name, labels);
    }).sum();
  }

  @Test
  void recordsAndBytesPerTopicMatchWhatWasAcknowledged() {
    assertEquals(SDK_RECORDS, sum("sluice_produce_records_total", "topic", "orders"));
    assertEquals(RAW_REQUESTS, sum("sluice_produce_records_total", "topic", "raw"));
    assertEquals(rawBytes, sum("sluice_produce_bytes_total", "topic", "raw"));
    assertTrue(sum("sluice_produce_bytes_total", "topic", "orders") > SDK_RECORDS * 2);
    assertTrue(sum("sluice_fetch_records_total", "topic", "orders") >= 2 * SDK_RECORDS,
        "records consumed by fetch and by Subscribe are both counted");
    assertTrue(sum("sluice_fetch_bytes_total", "topic", "orders") > 0);
    assertEquals(SDK_RECORDS + RAW_REQUESTS, sum("sluice_batch_records_sum"));
    assertEquals(sum("sluice_produce_bytes_total"), sum("sluice_batch_size_bytes_sum"));
    assertTrue(sum("sluice_batch_size_bytes_count") >= RAW_REQUESTS);
    for (SluiceNode n : cluster.nodes.values()) {
      assertTrue(Scrape.of(n).find("sluice_produce_records_total", "topic", "nope").isEmpty(),
          "a rejected write to an unknown topic creates no per-topic series");
    }
  }

  @Test
  void requestsLatencyAndRejections() {
    // Summed over the nodes: produce requests go to whoever leads, which an election may change.
    double produceCount = sum("sluice_request_latency_seconds_count", "rpc", "produce");
    assertTrue(produceCount >= RAW_REQUESTS + 1, "every raw produce request timed: " + produceCount);
    for (SluiceNode n : cluster.nodes.values()) {
      Scrape s = Scrape.of(n);
      double timed = s.find("sluice_request_latency_seconds_count", "rpc", "produce").isEmpty() ? 0
          : s.value("sluice_request_latency_seconds_count", "rpc", "produce");
      double counted = s.find("sluice_produce_requests_total").isEmpty() ? 0 : s.value("sluice_produce_requests_total");
      assertEquals(counted, timed, n.id() + ": every produce request is counted once by outcome and timed once");
      if (timed > 0) {
        assertEquals(timed, s.value("sluice_request_latency_seconds_bucket", "rpc", "produce", "le", "+Inf"), n.id());
        assertTrue(s.value("sluice_request_latency_seconds_sum", "rpc", "produce") > 0, n.id());
      }
    }
    assertTrue(sum("sluice_produce_requests_total", "result", "ok") >= RAW_REQUESTS);
    assertTrue(sum("sluice_request_latency_seconds_count", "rpc", "create_topic") >= 1);
    assertEquals(1, sum("sluice_rejected_requests_total", "rpc", "produce", "reason", "UNKNOWN_TOPIC"));
    assertTrue(sum("sluice_produce_requests_total", "result", "rejected") >= 1);
    assertTrue(sum("sluice_fetch_requests_total", "result", "ok") >= 1);
    assertTrue(sum("sluice_subscribe_pushes_total") >= 1);
  }

  @Test
  void raftSeriesAreSane() {
    // Group commit is counted where the produce requests were served: on the leader of the traffic.
    Scrape served = Scrape.of(cluster.nodes.get(leaderId));
    double entries = served.value("sluice_produce_group_commit_entries_total");
    double requests = served.value("sluice_produce_group_commit_requests_total");
    assertTrue(entries >= 1 && requests >= entries, "group commit entries " + entries + ", requests " + requests);

    // Roles and lag are about whoever leads now: an election under load may have moved the leader
    // since the traffic, so every node is scraped within one term of one leader.
    Map<String, Scrape> scrapes = new java.util.LinkedHashMap<>();
    String leaderNow = cluster.observeUnderStableLeader(Duration.ofSeconds(60), id -> {
      scrapes.clear();
      cluster.nodes.values().forEach(n -> scrapes.put(n.id(), Scrape.of(n)));
      return id;
    });
    Scrape leader = scrapes.get(leaderNow);
    double commit = leader.value("sluice_raft_commit_index");
    double applied = leader.value("sluice_raft_applied_index");
    assertTrue(commit > RAW_REQUESTS && applied > RAW_REQUESTS, "commit " + commit + ", applied " + applied);
    assertTrue(leader.value("sluice_raft_term") >= 1);
    assertTrue(leader.value("sluice_raft_log_last_index") >= commit);
    assertEquals(1, leader.value("sluice_raft_role", "role", "leader"), leaderNow);
    assertEquals(0, leader.value("sluice_raft_role", "role", "follower"), leaderNow);
    Set<String> peers = new TreeSet<>();
    for (Scrape.Sample s : leader.find("sluice_raft_follower_lag_entries")) {
      peers.add(s.labels().get("peer"));
      assertTrue(s.value() >= 0 && s.value() < 1_000_000, s.toString());
    }
    Set<String> followers = new TreeSet<>(cluster.nodes.keySet());
    followers.remove(leaderNow);
    assertEquals(followers, peers, "a lag series for each follower, on the leader " + leaderNow);
    for (String id : followers) {
      Scrape f = scrapes.get(id);
      assertEquals(1, f.value("sluice_raft_role", "role", "follower"), id);
      assertTrue(f.find("sluice_raft_follower_lag_entries").isEmpty(), "only the leader reports follower lag");
    }
    for (SluiceNode n : cluster.nodes.values()) {
      Scrape s = scrapes.get(n.id());
      assertTrue(s.value("sluice_raft_leader_elections_total") >= 1, n.id() + " saw the first leader");
      assertEquals(s.value("sluice_snapshots_total"), s.value("sluice_snapshot_duration_seconds_count"), n.id());
      assertTrue(s.value("sluice_raft_snapshot_index") > 0, n.id());
      assertEquals(0, s.value("sluice_pending_writes"), n.id());
    }
  }

  @Test
  void storageJvmAndProcessSeries() {
    for (SluiceNode n : cluster.nodes.values()) {
      Scrape s = Scrape.of(n);
      double sst = s.value("sluice_rocksdb_sst_files_size_bytes");
      double memtables = s.value("sluice_rocksdb_memtables_size_bytes");
      assertTrue(sst >= 0 && memtables >= 0 && sst + memtables > 0, n.id() + ": sst " + sst + ", memtables " + memtables);
      assertTrue(s.value("sluice_rocksdb_live_data_size_bytes") >= 0);
      double pending = s.value("sluice_rocksdb_compaction_pending");
      assertTrue(pending == 0 || pending == 1, "compaction pending is a flag: " + pending);
      assertTrue(s.value("sluice_rocksdb_running_compactions") >= 0);
      assertTrue(s.value("sluice_data_dir_free_bytes") > 0);
      assertTrue(s.value("jvm_memory_used_bytes", "area", "heap") > 0);
      assertTrue(s.value("jvm_threads_live_threads") > 0);
      assertTrue(s.value("process_uptime_seconds") > 0);
      assertFalse(s.find("process_cpu_usage").isEmpty());
      assertFalse(s.find("process_files_open_files").isEmpty());
      for (Scrape.Sample sample : s.samples) {
        assertEquals(n.id(), sample.labels().get("node"), "every series names its node: " + sample);
      }
    }
  }

  @Test
  void healthEndpointsAndContentTypes() {
    for (SluiceNode n : cluster.nodes.values()) {
      Scrape.Reply live = Scrape.get(n, "/health/live");
      assertEquals(200, live.status());
      Scrape.Reply ready = Scrape.get(n, "/health/ready");
      assertEquals(200, ready.status(), ready.body());
      assertTrue(JsonParser.parseString(ready.body()).getAsJsonObject().get("ready").getAsBoolean());
      assertTrue(Scrape.get(n, "/metrics").contentType().startsWith("text/plain; version=0.0.4"));
    }
  }

  /** Metric names in PromQL: any identifier with one of the prefixes our dashboard draws on. */
  private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|process|system)_[a-zA-Z0-9_]+\\b");

  @Test
  void everyMetricTheDashboardUsesIsExposed() throws Exception {
    JsonElement dashboard = JsonParser.parseString(Files.readString(DASHBOARD));
    List<String> exprs = new ArrayList<>();
    collectExprs(dashboard, exprs);
    assertTrue(exprs.size() >= 15, "the dashboard has its panels: " + exprs.size() + " queries");
    Set<String> exposed = new HashSet<>();
    for (SluiceNode n : cluster.nodes.values()) {
      exposed.addAll(Scrape.of(n).names());
    }
    Set<String> missing = new TreeSet<>();
    for (String expr : exprs) {
      Matcher m = METRIC.matcher(expr);
      boolean any = false;
      while (m.find()) {
        any = true;
        if (!exposed.contains(m.group())) {
          missing.add(m.group());
        }
      }
      assertTrue(any, "query names no known metric: " + expr);
    }
    assertEquals(Set.of(), missing, "dashboard metrics not exposed by any node");
  }

  private static void collectExprs(JsonElement e, List<String> out) {
    if (e.isJsonObject()) {
      for (var entry : e.getAsJsonObject().entrySet()) {
        if (entry.getKey().equals("expr") && entry.getValue().isJsonPrimitive()) {
          out.add(entry.getValue().getAsString());
        } else {
          collectExprs(entry.getValue(), out);
        }
      }
    } else if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> collectExprs(x, out));
    }
  }
}
