package io.sluice.client;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.CreateTopicResponse;
import io.sluice.api.v1.DeleteTopicRequest;
import io.sluice.api.v1.DeleteTopicResponse;
import io.sluice.api.v1.DescribeClusterRequest;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchResponse;
import io.sluice.api.v1.GetNodeStatusRequest;
import io.sluice.api.v1.InitProducerRequest;
import io.sluice.api.v1.InitProducerResponse;
import io.sluice.api.v1.ListTopicsRequest;
import io.sluice.api.v1.ListTopicsResponse;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionData;
import io.sluice.api.v1.PartitionDescription;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.PartitionResult;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.TopicDescription;
import io.sluice.client.internal.SluiceMethods;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.SluiceErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process stand-in for a Sluice cluster: N gRPC servers sharing one in-memory log, with a
 * leader id that DescribeCluster reports. Each node's handlers can be replaced per test to script
 * errors, delays or silence; every request is recorded. Appends follow the real log's idempotence
 * rules (LogCore): issued producer ids, the last {@value #BATCHES_REMEMBERED} sequence ranges per
 * (producer, partition), duplicates answered with their original offsets, gaps refused.
 * Thread-safe.
 */
final class FakeCluster implements AutoCloseable {

  /** A unary handler: answer through the observer, or never (to simulate silence). */
  @FunctionalInterface
  interface Handler<Q, R> {
    void handle(Q request, StreamObserver<R> out);
  }

  /** One partition's stored batches (base offsets set) and next offset. */
  static final class PartitionLog {
    final List<byte[]> batches = new ArrayList<>();
    long nextOffset;
  }

  /** As LogCore.PRODUCER_BATCHES_REMEMBERED. */
  static final int BATCHES_REMEMBERED = 5;

  /** One remembered idempotent batch: its sequence range and where it was written. */
  record SequenceRange(int first, int last, long baseOffset) {}

  /** The shared, "replicated" state. Guarded by the FakeCluster monitor. */
  final Map<String, List<PartitionLog>> topics = new TreeMap<>();
  /** Issued producer ids (all at epoch 0), and the remembered ranges per "producer/topic/partition". */
  final Set<Long> producers = new HashSet<>();
  final Map<String, ArrayDeque<SequenceRange>> sequences = new HashMap<>();
  private long nextProducerId = 1000;
  final List<FakeNode> nodes = new ArrayList<>();
  volatile String leaderId = "n1";

  FakeCluster(int size) throws IOException {
    String prefix = "fake-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 1; i <= size; i++) {
      nodes.add(new FakeNode(this, "n" + i, prefix + "-n" + i + ":7070"));
    }
    for (FakeNode n : nodes) {
      n.start();
    }
  }

  FakeNode node(int i) {
    return nodes.get(i - 1);
  }

  /** A client builder wired to this cluster's in-process servers, bootstrapped from {@code bootstrap}. */
  SluiceClient.Builder client(FakeNode... bootstrap) {
    List<String> addresses = new ArrayList<>();
    for (FakeNode n : bootstrap.length == 0 ? nodes.toArray(new FakeNode[0]) : bootstrap) {
      addresses.add(n.address);
    }
    return SluiceClient.builder()
        .bootstrap(addresses)
        .requestTimeout(Duration.ofSeconds(5))
        .metadataRefreshBackoff(Duration.ofMillis(10))
        .channelFactory(a -> InProcessChannelBuilder.forName(a).build());
  }

  synchronized void createTopic(String name, int partitions) {
    List<PartitionLog> logs = new ArrayList<>();
    for (int i = 0; i < partitions; i++) {
      logs.add(new PartitionLog());
    }
    topics.put(name, logs);
  }

  /** Issues a producer id, as InitProducer does. */
  synchronized long initProducer() {
    long id = nextProducerId++;
    producers.add(id);
    return id;
  }

  /** Forgets every producer id and its sequences, as the leader's idle expiry does. */
  synchronized void expireProducers() {
    producers.clear();
    sequences.clear();
  }

  /** Appends a request's batches (all or none), as the real leader does. */
  synchronized ProduceResponse append(ProduceRequest req) {
    long[] duplicateOf = new long[req.getBatchesCount()];
    for (int i = 0; i < req.getBatchesCount(); i++) {
      PartitionBatch b = req.getBatches(i);
      List<PartitionLog> t = topics.get(b.getTopic());
      if (t == null) {
        throw error(Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, SluiceErrors.NOT_WRITTEN);
      }
      if (b.getPartition() < 0 || b.getPartition() >= t.size()) {
        throw error(Status.Code.INVALID_ARGUMENT, ErrorReason.UNKNOWN_PARTITION, SluiceErrors.NOT_WRITTEN);
      }
      RecordBatch.validate(b.getRecords().asReadOnlyByteBuffer(), Integer.MAX_VALUE);
      duplicateOf[i] = checkSequence(b);
    }
    ProduceResponse.Builder resp = ProduceResponse.newBuilder();
    long now = System.currentTimeMillis();
    for (int i = 0; i < req.getBatchesCount(); i++) {
      PartitionBatch b = req.getBatches(i);
      PartitionResult.Builder result = PartitionResult.newBuilder().setTopic(b.getTopic())
          .setPartition(b.getPartition()).setLogAppendTimeMs(now);
      if (duplicateOf[i] >= 0) {
        resp.addResults(result.setBaseOffset(duplicateOf[i]).setDuplicate(true));
        continue;
      }
      PartitionLog log = topics.get(b.getTopic()).get(b.getPartition());
      byte[] stored = RecordBatch.withBaseOffset(b.getRecords().toByteArray(), log.nextOffset);
      resp.addResults(result.setBaseOffset(log.nextOffset));
      ByteBuffer header = ByteBuffer.wrap(stored);
      long producerId = header.getLong(RecordBatch.PRODUCER_ID_OFFSET);
      if (producerId >= 0) {
        int first = header.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
        ArrayDeque<SequenceRange> kept = sequences.computeIfAbsent(sequenceKey(producerId, b), k -> new ArrayDeque<>());
        kept.addLast(new SequenceRange(first, first + header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET),
            log.nextOffset));
        while (kept.size() > BATCHES_REMEMBERED) {
          kept.removeFirst();
        }
      }
      log.batches.add(stored);
      log.nextOffset += RecordBatch.recordCount(header);
    }
    return resp.build();
  }

  private static String sequenceKey(long producerId, PartitionBatch b) {
    return producerId + "/" + b.getTopic() + "/" + b.getPartition();
  }

  /** LogCore's rules: the original base offset of a duplicate, -1 for a batch to append, or an error. */
  private long checkSequence(PartitionBatch b) {
    ByteBuffer header = b.getRecords().asReadOnlyByteBuffer();
    long producerId = header.getLong(RecordBatch.PRODUCER_ID_OFFSET);
    if (producerId < 0) {
      return -1;
    }
    if (!producers.contains(producerId)) {
      throw error(Status.Code.FAILED_PRECONDITION, ErrorReason.UNKNOWN_PRODUCER_ID, SluiceErrors.NOT_WRITTEN);
    }
    if (header.getShort(RecordBatch.PRODUCER_EPOCH_OFFSET) != 0) {
      throw error(Status.Code.FAILED_PRECONDITION, ErrorReason.PRODUCER_FENCED, SluiceErrors.NOT_WRITTEN);
    }
    int first = header.getInt(RecordBatch.BASE_SEQUENCE_OFFSET);
    int last = first + header.getInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET);
    ArrayDeque<SequenceRange> kept = sequences.getOrDefault(sequenceKey(producerId, b), new ArrayDeque<>());
    for (SequenceRange r : kept) {
      if (r.first() == first && r.last() == last) {
        return r.baseOffset();
      }
    }
    int expected = kept.isEmpty() ? 0 : kept.peekLast().last() + 1;
    if (first != expected) {
      throw error(Status.Code.FAILED_PRECONDITION, ErrorReason.OUT_OF_ORDER_SEQUENCE, SluiceErrors.NOT_WRITTEN);
    }
    return -1;
  }

  synchronized FetchResponse fetch(FetchRequest req) {
    FetchResponse.Builder resp = FetchResponse.newBuilder();
    for (PartitionFetch pf : req.getPartitionsList()) {
      List<PartitionLog> t = topics.get(pf.getTopic());
      if (t == null) {
        throw error(Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, Map.of());
      }
      PartitionLog log = t.get(pf.getPartition());
      PartitionData.Builder pd = PartitionData.newBuilder().setTopic(pf.getTopic())
          .setPartition(pf.getPartition()).setLogStartOffset(0).setEndOffset(log.nextOffset);
      for (byte[] b : log.batches) {
        if (RecordBatch.lastOffset(ByteBuffer.wrap(b)) >= pf.getOffset()) {
          pd.addBatches(ByteString.copyFrom(b));
        }
      }
      resp.addPartitions(pd);
    }
    return resp.build();
  }

  synchronized TopicDescription describe(String name) {
    List<PartitionLog> t = topics.get(name);
    if (t == null) {
      throw error(Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, Map.of());
    }
    TopicDescription.Builder d = TopicDescription.newBuilder().setName(name).setTopicId(name.hashCode());
    for (int i = 0; i < t.size(); i++) {
      d.addPartitions(PartitionDescription.newBuilder().setPartition(i).setLogStartOffset(0)
          .setEndOffset(t.get(i).nextOffset).setBatchCount(t.get(i).batches.size()));
    }
    return d.build();
  }

  /** Every value stored in a partition, in offset order, decoded (and CRC-checked) by RecordBatch. */
  synchronized List<String> values(String topic, int partition) {
    List<String> out = new ArrayList<>();
    for (byte[] b : topics.get(topic).get(partition).batches) {
      RecordBatch.read(ByteBuffer.wrap(b)).forEach(r -> out.add(new String(r.value())));
    }
    return out;
  }

  /** A sluice-style error: status code plus ErrorInfo(reason, domain sluice.io, write_outcome). */
  static StatusRuntimeException error(Status.Code code, ErrorReason reason, String writeOutcome) {
    return error(code, reason, writeOutcome == null ? Map.of() : Map.of(SluiceErrors.WRITE_OUTCOME, writeOutcome));
  }

  static StatusRuntimeException error(Status.Code code, ErrorReason reason, Map<String, String> metadata) {
    ErrorInfo info = ErrorInfo.newBuilder().setReason(reason.name()).setDomain(SluiceErrors.DOMAIN)
        .putAllMetadata(metadata).build();
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(code.value()).setMessage("fake " + reason.name()).addDetails(Any.pack(info)).build());
  }

  @Override
  public void close() {
    for (FakeNode n : nodes) {
      n.stop();
    }
  }

  /** One fake node: a server whose handlers default to a correct Sluice node and can be replaced. */
  static final class FakeNode {
    final FakeCluster cluster;
    final String id;
    final String address;
    final List<ProduceRequest> produceRequests = new CopyOnWriteArrayList<>();
    final List<FetchRequest> fetchRequests = new CopyOnWriteArrayList<>();
    final List<CreateTopicRequest> createRequests = new CopyOnWriteArrayList<>();
    final List<InitProducerRequest> initProducerRequests = new CopyOnWriteArrayList<>();
    volatile Handler<ProduceRequest, ProduceResponse> produce = this::defaultProduce;
    volatile Handler<InitProducerRequest, InitProducerResponse> initProducer = this::defaultInitProducer;
    volatile Handler<FetchRequest, FetchResponse> fetch = this::defaultFetch;
    volatile Handler<CreateTopicRequest, CreateTopicResponse> createTopic = this::defaultCreate;
    volatile Handler<DescribeClusterRequest, DescribeClusterResponse> describeCluster = this::defaultDescribeCluster;
    private Server server;

    FakeNode(FakeCluster cluster, String id, String address) {
      this.cluster = cluster;
      this.id = id;
      this.address = address;
    }

    boolean isLeader() {
      return id.equals(cluster.leaderId);
    }

    void start() throws IOException {
      server = InProcessServerBuilder.forName(address)
          .addService(service("sluice.v1.ProduceService", b -> b
              .addMethod(SluiceMethods.PRODUCE,
                  ServerCalls.asyncUnaryCall((q, o) -> { produceRequests.add(q); produce.handle(q, o); }))
              .addMethod(SluiceMethods.INIT_PRODUCER, ServerCalls.asyncUnaryCall((InitProducerRequest q,
                  StreamObserver<InitProducerResponse> o) -> { initProducerRequests.add(q); initProducer.handle(q, o); }))))
          .addService(service("sluice.v1.FetchService", b -> b.addMethod(SluiceMethods.FETCH,
              ServerCalls.asyncUnaryCall((q, o) -> { fetchRequests.add(q); fetch.handle(q, o); }))
              .addMethod(SluiceMethods.LIST_OFFSETS, ServerCalls.asyncUnaryCall(this::listOffsets))))
          .addService(service("sluice.v1.TopicService", b -> b
              .addMethod(SluiceMethods.CREATE_TOPIC, ServerCalls.asyncUnaryCall((CreateTopicRequest q,
                  StreamObserver<CreateTopicResponse> o) -> { createRequests.add(q); createTopic.handle(q, o); }))
              .addMethod(SluiceMethods.DELETE_TOPIC, ServerCalls.asyncUnaryCall(this::deleteTopic))
              .addMethod(SluiceMethods.LIST_TOPICS, ServerCalls.asyncUnaryCall(this::listTopics))
              .addMethod(SluiceMethods.DESCRIBE_TOPIC, ServerCalls.asyncUnaryCall(this::describeTopic))))
          .addService(service("sluice.v1.ClusterService", b -> b
              .addMethod(SluiceMethods.DESCRIBE_CLUSTER, ServerCalls.asyncUnaryCall(
                  (DescribeClusterRequest q, StreamObserver<DescribeClusterResponse> o) -> describeCluster.handle(q, o)))
              .addMethod(SluiceMethods.GET_NODE_STATUS, ServerCalls.asyncUnaryCall(
                  (GetNodeStatusRequest q, StreamObserver<io.sluice.api.v1.NodeStatus> o) -> answer(o,
                      io.sluice.api.v1.NodeStatus.newBuilder().setId(id).setRole(isLeader() ? "LEADER" : "FOLLOWER")
                          .setLeaderId(cluster.leaderId).setClientAddress(address).setTerm(3).build())))))
          .build()
          .start();
    }

    void stop() {
      if (server != null) {
        server.shutdownNow();
      }
    }

    private static BindableService service(String name,
        java.util.function.UnaryOperator<ServerServiceDefinition.Builder> methods) {
      ServerServiceDefinition def = methods.apply(ServerServiceDefinition.builder(name)).build();
      return () -> def;
    }

    static <R> void answer(StreamObserver<R> out, R value) {
      out.onNext(value);
      out.onCompleted();
    }

    private StatusRuntimeException notLeader() {
      FakeNode leader = cluster.nodes.stream().filter(FakeNode::isLeader).findFirst().orElse(null);
      return leader == null
          ? error(Status.Code.UNAVAILABLE, ErrorReason.NO_LEADER, SluiceErrors.NOT_WRITTEN)
          : error(Status.Code.FAILED_PRECONDITION, ErrorReason.NOT_LEADER, Map.of(
              SluiceErrors.WRITE_OUTCOME, SluiceErrors.NOT_WRITTEN,
              SluiceErrors.LEADER_ID, leader.id, SluiceErrors.LEADER_ADDRESS, leader.address));
    }

    void defaultProduce(ProduceRequest q, StreamObserver<ProduceResponse> o) {
      if (!isLeader()) {
        o.onError(notLeader());
        return;
      }
      try {
        answer(o, cluster.append(q));
      } catch (StatusRuntimeException e) {
        o.onError(e);
      }
    }

    void defaultInitProducer(InitProducerRequest q, StreamObserver<InitProducerResponse> o) {
      if (!isLeader()) {
        o.onError(notLeader());
        return;
      }
      answer(o, InitProducerResponse.newBuilder().setProducerId(cluster.initProducer()).setProducerEpoch(0).build());
    }

    void defaultFetch(FetchRequest q, StreamObserver<FetchResponse> o) {
      try {
        answer(o, cluster.fetch(q));
      } catch (StatusRuntimeException e) {
        o.onError(e);
      }
    }

    void defaultCreate(CreateTopicRequest q, StreamObserver<CreateTopicResponse> o) {
      if (!isLeader()) {
        o.onError(notLeader());
        return;
      }
      synchronized (cluster) {
        if (cluster.topics.containsKey(q.getName())) {
          o.onError(error(Status.Code.ALREADY_EXISTS, ErrorReason.TOPIC_EXISTS, SluiceErrors.NOT_WRITTEN));
          return;
        }
        cluster.createTopic(q.getName(), q.getPartitions());
        answer(o, CreateTopicResponse.newBuilder().setTopic(cluster.describe(q.getName())).build());
      }
    }

    private void deleteTopic(DeleteTopicRequest q, StreamObserver<DeleteTopicResponse> o) {
      if (!isLeader()) {
        o.onError(notLeader());
        return;
      }
      synchronized (cluster) {
        if (cluster.topics.remove(q.getName()) == null) {
          o.onError(error(Status.Code.NOT_FOUND, ErrorReason.UNKNOWN_TOPIC, SluiceErrors.NOT_WRITTEN));
          return;
        }
      }
      answer(o, DeleteTopicResponse.getDefaultInstance());
    }

    private void listTopics(ListTopicsRequest q, StreamObserver<ListTopicsResponse> o) {
      ListTopicsResponse.Builder b = ListTopicsResponse.newBuilder();
      synchronized (cluster) {
        cluster.topics.keySet().forEach(t -> b.addTopics(cluster.describe(t)));
      }
      answer(o, b.build());
    }

    /** Answers from the same partition descriptions describeTopic gives (the fake has one copy of the data). */
    private void listOffsets(io.sluice.api.v1.ListOffsetsRequest q, StreamObserver<io.sluice.api.v1.ListOffsetsResponse> o) {
      io.sluice.api.v1.ListOffsetsResponse.Builder b = io.sluice.api.v1.ListOffsetsResponse.newBuilder();
      try {
        for (io.sluice.api.v1.PartitionRef ref : q.getPartitionsList()) {
          io.sluice.api.v1.PartitionDescription p = cluster.describe(ref.getTopic()).getPartitions(ref.getPartition());
          b.addPartitions(io.sluice.api.v1.PartitionOffsets.newBuilder().setTopic(ref.getTopic())
              .setPartition(ref.getPartition()).setLogStartOffset(p.getLogStartOffset()).setEndOffset(p.getEndOffset()));
        }
        answer(o, b.build());
      } catch (StatusRuntimeException e) {
        o.onError(e);
      }
    }

    private void describeTopic(DescribeTopicRequest q, StreamObserver<TopicDescription> o) {
      try {
        answer(o, cluster.describe(q.getName()));
      } catch (StatusRuntimeException e) {
        o.onError(e);
      }
    }

    void defaultDescribeCluster(DescribeClusterRequest q, StreamObserver<DescribeClusterResponse> o) {
      DescribeClusterResponse.Builder b = DescribeClusterResponse.newBuilder().setClusterId("fake")
          .setNodeId(id).setLeaderId(cluster.leaderId == null ? "" : cluster.leaderId);
      for (FakeNode n : cluster.nodes) {
        b.addNodes(io.sluice.api.v1.NodeInfo.newBuilder().setId(n.id).setRaftAddress(n.id + ":9000")
            .setClientAddress(n.address));
      }
      answer(o, b.build());
    }
  }
}
