package io.sluice.chaos.workload;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpValue;
import io.sluice.protocol.RecordBatch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One atomic writer process: writes one record to each of 2–3 distinct random partitions in a
 * single ProduceRequest (one Raft entry: all or none), sent straight to the leader, one request at
 * a time. A request is one attempt, never retried (a retry would be a new operation with new
 * values). Values are "NAME-COUNTER". Runs on one thread.
 */
final class AtomicWriterProcess implements Runnable {

  private final String name;
  private final HistoryWriter history;
  private final ClusterView cluster;
  private final NodeChannels channels;
  private final String topic;
  private final int partitions;
  private final Duration requestTimeout;
  private final Random random;
  private final Pacer pacer;
  private final OutstandingOps outstanding;
  private final BooleanSupplier running;
  private long counter;

  AtomicWriterProcess(String name, HistoryWriter history, ClusterView cluster, NodeChannels channels,
      WorkloadConfig config, Random random, OutstandingOps outstanding, BooleanSupplier running) {
    this.name = name;
    this.history = history;
    this.cluster = cluster;
    this.channels = channels;
    this.topic = config.topic();
    this.partitions = config.partitions();
    this.requestTimeout = config.requestTimeout();
    this.random = random;
    this.pacer = new Pacer(config.atomicRatePerSecond());
    this.outstanding = outstanding;
    this.running = running;
  }

  @Override
  public void run() {
    while (running.getAsBoolean() && pacer.await()) {
      if (!running.getAsBoolean()) {
        return;
      }
      writeOne();
    }
  }

  private void writeOne() {
    List<Integer> chosen = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      chosen.add(p);
    }
    Collections.shuffle(chosen, random);
    int count = Math.min(partitions, 2 + random.nextInt(2));
    List<OpValue.Send> sends = new ArrayList<>();
    ProduceRequest.Builder request = ProduceRequest.newBuilder();
    long nowMs = System.currentTimeMillis();
    for (int partition : chosen.subList(0, count)) {
      String value = name + "-" + counter++;
      sends.add(OpValue.Send.of(topic, partition, null, value));
      byte[] batch = RecordBatch.builder().add(nowMs, null, value.getBytes(StandardCharsets.UTF_8), List.of()).build();
      request.addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(partition)
          .setRecords(ByteString.copyFrom(batch)));
    }
    outstanding.begin();
    HistoryWriter.Op op = history.invoke(name, new OpValue.Atomic(sends));
    try {
      String leader = cluster.leaderAddress();
      if (leader == null) {
        op.fail("no leader known: request not sent");
        return;
      }
      ProduceResponse response = ProduceServiceGrpc.newBlockingStub(channels.channel(leader))
          .withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .produce(request.build());
      List<OpValue.Send> acked = new ArrayList<>();
      for (int i = 0; i < sends.size(); i++) {
        PartitionResult result = response.getResults(i);
        acked.add(sends.get(i).acknowledged(result.getPartition(), result.getBaseOffset()));
      }
      op.ok(new OpValue.Atomic(acked));
    } catch (StatusRuntimeException e) {
      cluster.forgetLeader();
      Outcomes.failedWrite(op, e);
    } catch (RuntimeException e) {
      cluster.forgetLeader();
      op.info("unexpected: " + e);
    } finally {
      outstanding.end();
    }
  }
}
