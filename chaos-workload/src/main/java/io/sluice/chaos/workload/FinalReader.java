package io.sluice.chaos.workload;

import com.google.protobuf.ByteString;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.ListOffsetsResponse;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.PartitionOffsets;
import io.sluice.api.v1.PartitionRef;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition in full from every node, once writes have stopped: first waits (bounded)
 * until each node has applied up to the cluster's linearizable end offsets, then records one
 * {@code final-read} per node and partition. If the end offsets moved meanwhile (an indeterminate
 * write landing late), reads again, at most {@link #ROUNDS_MAX} times; the checker uses each
 * node's last successful read. A read that fails (a timeout on a slow node) is tried again, at most
 * {@link #ATTEMPTS_MAX} times. Not thread-safe (one caller).
 */
final class FinalReader {

  static final int ROUNDS_MAX = 3;
  /** Attempts at one node's final read of one partition (each recorded; the checker uses the last that succeeded). */
  static final int ATTEMPTS_MAX = 5;
  private static final int FETCH_BYTES_MAX = 4 * 1024 * 1024;
  private static final Logger LOG = LoggerFactory.getLogger(FinalReader.class);

  private final HistoryWriter history;
  private final NodeChannels channels;
  private final String topic;
  private final int partitions;
  private final Duration requestTimeout;

  FinalReader(HistoryWriter history, NodeChannels channels, WorkloadConfig config) {
    this.history = history;
    this.channels = channels;
    this.topic = config.topic();
    this.partitions = config.partitions();
    this.requestTimeout = config.requestTimeout();
  }

  /** @param nodes node id → client address */
  void readAll(Map<String, String> nodes, Duration settleTimeout) throws InterruptedException {
    long deadline = System.nanoTime() + settleTimeout.toNanos();
    long[] target = linearizableEnds(nodes, deadline);
    for (int round = 1; round <= ROUNDS_MAX; round++) {
      if (target != null) {
        awaitCaughtUp(nodes, target, deadline);
      }
      for (Map.Entry<String, String> node : nodes.entrySet()) {
        for (int p = 0; p < partitions; p++) {
          for (int attempt = 1; !readPartition(node.getKey(), node.getValue(), p) && attempt < ATTEMPTS_MAX; attempt++) {
            Thread.sleep(1000); // a slow node (a loaded machine, libfaketime) may time out once: try again
          }
        }
      }
      long[] after = linearizableEnds(nodes, deadline);
      if (target == null || after == null || java.util.Arrays.equals(after, target)) {
        return;
      }
      LOG.info("end offsets moved during the final reads (a late write landed); reading again");
      target = after;
    }
  }

  private long[] linearizableEnds(Map<String, String> nodes, long deadline) throws InterruptedException {
    do {
      for (String address : nodes.values()) {
        try {
          return ends(listOffsets(address, true));
        } catch (RuntimeException e) {
          LOG.debug("linearizable ListOffsets on {} failed: {}", address, e.toString());
        }
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    LOG.warn("no node answered a linearizable ListOffsets before the settle timeout");
    return null;
  }

  private void awaitCaughtUp(Map<String, String> nodes, long[] target, long deadline) throws InterruptedException {
    Map<String, String> waiting = new LinkedHashMap<>(nodes);
    while (!waiting.isEmpty() && System.nanoTime() < deadline) {
      waiting.entrySet().removeIf(node -> caughtUp(node.getValue(), target));
      if (!waiting.isEmpty()) {
        Thread.sleep(200);
      }
    }
    if (!waiting.isEmpty()) {
      LOG.warn("nodes {} did not reach the end offsets {} before the settle timeout",
          waiting.keySet(), java.util.Arrays.toString(target));
    }
  }

  private boolean caughtUp(String address, long[] target) {
    try {
      long[] local = ends(listOffsets(address, false));
      for (int p = 0; p < partitions; p++) {
        if (local[p] < target[p]) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Records one final-read operation; whether it succeeded. */
  private boolean readPartition(String node, String address, int partition) {
    HistoryWriter.Op op = history.invoke("final", OpValue.FinalRead.request(node, topic, partition));
    try {
      PartitionOffsets offsets = listOffsets(address, false).getPartitions(partition);
      long start = offsets.getLogStartOffset();
      long end = offsets.getEndOffset();
      List<OpValue.Read> reads = fetchRange(address, partition, start, end);
      op.ok(new OpValue.FinalRead(node, topic, partition, start, end, reads));
      return true;
    } catch (RuntimeException e) {
      op.fail("final read of " + topic + "/" + partition + " from " + node + " at " + address + " failed: " + e);
      return false;
    }
  }

  /** Every record in [start, end); stops early only if the node returns nothing three times in a row. */
  private List<OpValue.Read> fetchRange(String address, int partition, long start, long end) {
    List<OpValue.Read> reads = new ArrayList<>();
    long next = start;
    int emptyAnswers = 0;
    while (next < end && emptyAnswers < 3) {
      FetchResponse response = FetchServiceGrpc.newBlockingStub(channels.channel(address))
          .withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .fetch(FetchRequest.newBuilder()
              .addPartitions(PartitionFetch.newBuilder().setTopic(topic).setPartition(partition).setOffset(next)
                  .setMaxBytes(FETCH_BYTES_MAX))
              .setMaxBytes(FETCH_BYTES_MAX)
              .build());
      PartitionData data = response.getPartitions(0);
      long before = next;
      for (ByteString batch : data.getBatchesList()) {
        for (Record record : RecordBatch.read(batch.asReadOnlyByteBuffer())) {
          if (record.offset() >= next && record.offset() < end) {
            reads.add(new OpValue.Read(topic, partition, record.offset(),
                ConsumerProcess.text(record.key()), ConsumerProcess.text(record.value())));
            next = record.offset() + 1;
          }
        }
      }
      emptyAnswers = next == before ? emptyAnswers + 1 : 0;
    }
    return reads;
  }

  private ListOffsetsResponse listOffsets(String address, boolean linearizable) {
    ListOffsetsRequest.Builder request = ListOffsetsRequest.newBuilder().setLinearizable(linearizable);
    for (int p = 0; p < partitions; p++) {
      request.addPartitions(PartitionRef.newBuilder().setTopic(topic).setPartition(p));
    }
    return FetchServiceGrpc.newBlockingStub(channels.channel(address))
        .withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .listOffsets(request.build());
  }

  private long[] ends(ListOffsetsResponse response) {
    long[] ends = new long[partitions];
    for (int p = 0; p < partitions; p++) {
      ends[p] = response.getPartitions(p).getEndOffset();
    }
    return ends;
  }
}
