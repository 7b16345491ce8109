package io.sluice.chaos;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import io.sluice.testcontainers.SluiceClusterNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * After the faults healed: every partition read whole from every node, straight through the
 * node's own Fetch RPC (not the SDK, which may go to another node). A node is read once it has
 * caught up to the linearizable end offsets, waiting at most 60 s. Single-threaded.
 */
final class FinalReads {
  private static final long CATCH_UP_MS_MAX = 60_000;
  private static final int FETCH_ROUNDS_MAX = 100_000;

  private FinalReads() {}

  static void readAll(HistoryWriter history, List<SluiceClusterNode> nodes, int partitions, Map<Integer, Long> endOffsets) {
    for (SluiceClusterNode node : nodes) {
      ManagedChannel channel = ManagedChannelBuilder.forTarget(node.clientAddress()).usePlaintext().build();
      try {
        FetchServiceGrpc.FetchServiceBlockingStub stub = FetchServiceGrpc.newBlockingStub(channel);
        for (int p = 0; p < partitions; p++) {
          HistoryWriter.Op op = history.invoke("final", OpValue.FinalRead.request(node.id(), Workload.TOPIC, p));
          try {
            op.ok(read(stub, node.id(), p, endOffsets.getOrDefault(p, 0L)));
          } catch (RuntimeException e) {
            op.fail(e.toString());
          }
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static OpValue.FinalRead read(FetchServiceGrpc.FetchServiceBlockingStub stub, String node, int partition,
      long endAtLeast) {
    long deadline = System.currentTimeMillis() + CATCH_UP_MS_MAX;
    List<OpValue.Read> reads = new ArrayList<>();
    long next = -1;
    long start = -1;
    long end = -1;
    for (int round = 0; round < FETCH_ROUNDS_MAX; round++) {
      FetchResponse resp = stub.withDeadlineAfter(10, TimeUnit.SECONDS).fetch(FetchRequest.newBuilder()
          .addPartitions(PartitionFetch.newBuilder().setTopic(Workload.TOPIC).setPartition(partition)
              .setOffset(Math.max(next, 0)).setMaxBytes(1 << 20))
          .setMaxWaitMs(0).build());
      PartitionData data = resp.getPartitions(0);
      if (next < 0) {
        start = data.getLogStartOffset();
        next = start;
        if (data.getEndOffset() < endAtLeast) {
          // Not caught up yet: start again, bounded.
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException(node + " stayed at end offset " + data.getEndOffset()
                + " below the acknowledged end " + endAtLeast);
          }
          next = -1;
          sleep(250);
          continue;
        }
        if (data.getBatchesCount() == 0 && start > 0) {
          continue; // re-fetch from the log start
        }
      }
      end = data.getEndOffset();
      for (ByteString batch : data.getBatchesList()) {
        for (Record r : RecordBatch.read(batch.asReadOnlyByteBuffer())) {
          if (r.offset() >= next) {
            reads.add(new OpValue.Read(Workload.TOPIC, partition, r.offset(),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                new String(r.value(), StandardCharsets.UTF_8)));
            next = r.offset() + 1;
          }
        }
      }
      if (next >= end || data.getBatchesCount() == 0) {
        return new OpValue.FinalRead(node, Workload.TOPIC, partition, start, end, reads);
      }
    }
    throw new IllegalStateException("reading " + node + " partition " + partition + " took over "
        + FETCH_ROUNDS_MAX + " fetches");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
