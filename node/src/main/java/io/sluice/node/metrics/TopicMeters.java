package io.sluice.node.metrics;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.protocol.RecordBatch;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Records and bytes produced and fetched, per topic, and the sizes of produced batches.
 *
 * <p>Bounded: at most {@code topicsMax} topics get their own series; records of further topics
 * are counted under {@code topic="(other)"} (not a valid topic name, so it cannot clash). Only
 * topics that exist get here (a produce or fetch naming an unknown topic fails before it is
 * counted), and {@link #prune} drops the series of deleted topics, so the bound applies to the
 * live topics. Counting reads each batch's header only: no per-record work.
 *
 * <p>Thread-safe: counting is lock-free once a topic has its meters; creating and pruning them
 * is serialized.
 */
final class TopicMeters {
  static final String OTHER = "(other)";

  private record Meters(Counter producedRecords, Counter producedBytes, Counter fetchedRecords, Counter fetchedBytes) {}

  private final MeterRegistry registry;
  private final int topicsMax;
  private final Map<String, Meters> byTopic = new ConcurrentHashMap<>();
  private final DistributionSummary batchBytes;
  private final DistributionSummary batchRecords;

  TopicMeters(MeterRegistry registry, int topicsMax) {
    this.registry = registry;
    this.topicsMax = topicsMax;
    this.batchBytes = DistributionSummary.builder("sluice.batch.size")
        .baseUnit("bytes")
        .description("Size of each produced record batch that was acknowledged")
        .serviceLevelObjectives(256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304)
        .register(registry);
    this.batchRecords = DistributionSummary.builder("sluice.batch.records")
        .description("Records in each produced record batch that was acknowledged")
        .serviceLevelObjectives(1, 10, 100, 1000, 10000)
        .register(registry);
  }

  /** Counts an acknowledged produce request: every batch it carried was appended. */
  void produced(ProduceRequest request) {
    for (PartitionBatch b : request.getBatchesList()) {
      int records = recordCount(b.getRecords());
      int bytes = b.getRecords().size();
      Meters m = meters(b.getTopic());
      m.producedRecords().increment(records);
      m.producedBytes().increment(bytes);
      batchBytes.record(bytes);
      batchRecords.record(records);
    }
  }

  /** Counts the batches of a fetch response (whole batches, as sent). */
  void fetched(FetchResponse response) {
    for (PartitionData p : response.getPartitionsList()) {
      fetched(p);
    }
  }

  /** Records and bytes sent to a consumer, by a fetch answer or a Subscribe push. */
  void fetched(PartitionData p) {
    if (p.getBatchesCount() == 0) {
      return;
    }
    long records = 0;
    long bytes = 0;
    for (ByteString batch : p.getBatchesList()) {
      records += recordCount(batch);
      bytes += batch.size();
    }
    Meters m = meters(p.getTopic());
    m.fetchedRecords().increment(records);
    m.fetchedBytes().increment(bytes);
  }

  private static int recordCount(ByteString batch) {
    ByteBuffer b = batch.asReadOnlyByteBuffer();
    return b.remaining() >= RecordBatch.HEADER_SIZE ? RecordBatch.recordCount(b) : 0;
  }

  private Meters meters(String topic) {
    Meters m = byTopic.get(topic);
    return m != null ? m : create(topic);
  }

  private synchronized Meters create(String topic) {
    Meters m = byTopic.get(topic);
    if (m != null) {
      return m;
    }
    long named = byTopic.keySet().stream().filter(t -> !t.equals(OTHER)).count();
    String key = named < topicsMax ? topic : OTHER;
    return byTopic.computeIfAbsent(key, this::register);
  }

  private Meters register(String topic) {
    return new Meters(
        Counter.builder("sluice.produce.records").tag("topic", topic)
            .description("Records acknowledged to producers").register(registry),
        Counter.builder("sluice.produce.bytes").tag("topic", topic)
            .description("Record batch bytes acknowledged to producers").register(registry),
        Counter.builder("sluice.fetch.records").tag("topic", topic)
            .description("Records sent to consumers (whole batches)").register(registry),
        Counter.builder("sluice.fetch.bytes").tag("topic", topic)
            .description("Record batch bytes sent to consumers").register(registry));
  }

  /** Drops the series of topics that no longer exist. */
  synchronized void prune(Predicate<String> exists) {
    for (String topic : byTopic.keySet()) {
      if (!topic.equals(OTHER) && !exists.test(topic)) {
        Meters m = byTopic.remove(topic);
        registry.remove(m.producedRecords());
        registry.remove(m.producedBytes());
        registry.remove(m.fetchedRecords());
        registry.remove(m.fetchedBytes());
      }
    }
  }

  /** Topics with their own series (for tests). */
  int namedTopics() {
    return (int) byTopic.keySet().stream().filter(t -> !t.equals(OTHER)).count();
  }
}
