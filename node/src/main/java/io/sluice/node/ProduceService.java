package io.sluice.node;

import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.InitProducerRequest;
import io.sluice.api.v1.InitProducerResponse;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendBatch;
import io.sluice.internal.v1.AppendResult;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.InitProducer;
import io.sluice.node.quota.Quotas;
import io.sluice.node.security.Principal;

/**
 * Produce: one request is all batches or none; it becomes one Raft entry, or shares one with other
 * requests when earlier entries are still in flight ({@link GroupCommit}). The leader stamps its time;
 * the state machine's startTransaction validates CRCs and limits before the entry is proposed.
 * Batches travel as opaque bytes from the request into the command: no per-record work here.
 */
final class ProduceService extends ProduceServiceGrpc.ProduceServiceImplBase {
  private final SluiceNode node;

  ProduceService(SluiceNode node) {
    this.node = node;
  }

  @Override
  public void produce(ProduceRequest request, StreamObserver<ProduceResponse> responseObserver) {
    // Quota: refused while the principal's earlier excess needs more than quota.throttle.max.ms to pay
    // back; otherwise counted, and the answer held back by what this request put it over its rate.
    StreamObserver<ProduceResponse> observer = responseObserver;
    Quotas quotas = node.quotas();
    if (quotas.active()) {
      Principal principal = Principal.current();
      long retryNanos = quotas.admit(principal, Quotas.Kind.PRODUCE);
      if (retryNanos > 0) {
        Replies.fail(responseObserver, ThrottledReply.quotaExceeded(node.id(), principal, Quotas.Kind.PRODUCE,
            quotas.rate(principal, Quotas.Kind.PRODUCE), retryNanos));
        return;
      }
      observer = ThrottledReply.of(responseObserver,
          quotas.record(principal, Quotas.Kind.PRODUCE, request.getSerializedSize()), node.throttler());
    }
    Append.Builder append = Append.newBuilder();
    for (PartitionBatch b : request.getBatchesList()) {
      append.addBatches(AppendBatch.newBuilder()
          .setTopic(b.getTopic()).setPartition(b.getPartition()).setRecords(b.getRecords()));
    }
    if (request.hasGroupCommit()) {
      // Validated in startTransaction and fenced in apply: records and offsets land together or not at all.
      append.setGroupCommit(request.getGroupCommit());
    }
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis()).setAppend(append).build();
    Replies.reply(node.groupCommit().submit(command), observer,
        outcome -> response(request, outcome.result().getAppend(), outcome.raftIndex()));
  }

  @Override
  public void initProducer(InitProducerRequest request, StreamObserver<InitProducerResponse> observer) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setInitProducer(InitProducer.getDefaultInstance()).build();
    Replies.propose(node, command, observer, outcome -> InitProducerResponse.newBuilder()
        .setProducerId(outcome.result().getProducer().getProducerId())
        .setProducerEpoch(outcome.result().getProducer().getEpoch()).build());
  }

  private static ProduceResponse response(ProduceRequest request, AppendResult result, long raftIndex) {
    ProduceResponse.Builder response = ProduceResponse.newBuilder().setCommitIndex(raftIndex);
    for (int i = 0; i < request.getBatchesCount(); i++) {
      PartitionBatch b = request.getBatches(i);
      response.addResults(PartitionResult.newBuilder()
          .setTopic(b.getTopic())
          .setPartition(b.getPartition())
          .setBaseOffset(result.getBaseOffsets(i))
          .setLogAppendTimeMs(result.getLogAppendTimeMs())
          .setDuplicate(result.getDuplicates(i)));
    }
    return response.build();
  }
}
