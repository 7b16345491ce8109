package io.sluice.chaos.workload;

import io.sluice.chaos.history.HistoryWriter;
import io.sluice.client.ConsumerConfig;
import io.sluice.client.OffsetResetPolicy;
import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicExistsException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos workload against a running cluster, recording into a {@link HistoryWriter}:
 * producers (SDK, idempotent, keyed and explicit partitions), atomic writers (multi-partition
 * ProduceRequests, and through the SDK's sendAtomically), consumers (streaming and long-poll) and group consumers (one consumer group,
 * committing offsets) on a fresh topic; then, after the
 * clients stop, final reads of every partition from every node.
 *
 * <p>Life cycle, for a harness that injects faults meanwhile (recording them with
 * {@link HistoryWriter#nemesisStart}/{@link HistoryWriter#nemesisEnd} on the same writer):
 * <pre>{@code
 * try (Workload workload = new Workload(config, history)) {
 *   workload.setUp();      // client + topic
 *   workload.start();      // client threads
 *   ... faults, heal, let writes flow again ...
 *   workload.stop();       // stop clients, wait for every outstanding operation
 *   workload.finalReads(); // every partition from every node
 * }
 * }</pre>
 * {@link #run(Duration)} does all of it with no faults. Every random choice derives from
 * {@link WorkloadConfig#seed()}. Not thread-safe: drive it from one thread.
 */
public final class Workload implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Workload.class);

  private final WorkloadConfig config;
  private final HistoryWriter history;
  private final OutstandingOps outstanding = new OutstandingOps();
  private final NodeChannels channels;
  private final List<Thread> threads = new ArrayList<>();
  private final List<Producer> producers = new ArrayList<>();
  private volatile boolean running;
  private SluiceClient client;
  private ClusterView cluster;

  public Workload(WorkloadConfig config, HistoryWriter history) {
    this.channels = new NodeChannels(config.tls());
    this.config = config;
    this.history = history;
  }

  public WorkloadConfig config() {
    return config;
  }

  /**
   * Connects and creates the topic.
   *
   * @throws IllegalStateException when the topic already exists (its records would be unexplained),
   *     or the cluster cannot be reached or refuses to create it (the message says which)
   */
  public void setUp() throws Exception {
    SluiceClient.Builder builder = SluiceClient.builder().bootstrap(config.bootstrap())
        .requestTimeout(config.requestTimeout());
    client = (config.tls() == null ? builder : config.tls().apply(builder)).build();
    cluster = new ClusterView(client.admin(), config.nodeAddresses(), config.requestTimeout());
    try {
      client.admin().createTopic(config.topic(), config.partitions())
          .get(config.settleTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = Outcomes.unwrap(e);
      if (cause instanceof TopicExistsException) {
        throw new IllegalStateException("topic " + config.topic() + " already exists: the workload needs a fresh"
            + " topic, since records it did not write would be reported as phantom reads");
      }
      throw new IllegalStateException("cannot create topic " + config.topic() + " through " + config.bootstrap()
          + ": " + cause.getMessage(), cause);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + config.topic() + ": no answer from "
          + config.bootstrap() + " within " + config.settleTimeout().toMillis() + " ms", e);
    }
    LOG.info("workload: seed={} topic={} partitions={} producers={} atomicWriters={} sdkAtomicWriters={}"
        + " consumers={}"
        + " groupConsumers={} group={}",
        config.seed(), config.topic(), config.partitions(), config.producers(), config.atomicWriters(),
        config.sdkAtomicWriters(), config.consumers(), config.groupConsumers(), config.group());
  }

  /** Starts every client process on its own thread. */
  public void start() {
    if (client == null) {
      throw new IllegalStateException("setUp() first");
    }
    running = true;
    Random seeds = new Random(config.seed());
    for (int i = 0; i < config.producers(); i++) {
      Producer producer = client.newProducer(ProducerConfig.builder().deliveryTimeout(config.deliveryTimeout()).build());
      producers.add(producer);
      spawn("p" + i, new ProducerProcess("p" + i, producer, history, config, new Random(seeds.nextLong()),
          outstanding, () -> running));
    }
    for (int i = 0; i < config.atomicWriters(); i++) {
      spawn("a" + i, new AtomicWriterProcess("a" + i, history, cluster, channels, config,
          new Random(seeds.nextLong()), outstanding, () -> running));
    }
    for (int i = 0; i < config.sdkAtomicWriters(); i++) {
      Producer producer = client.newProducer(ProducerConfig.builder().deliveryTimeout(config.deliveryTimeout()).build());
      producers.add(producer);
      spawn("s" + i, new SdkAtomicWriterProcess("s" + i, producer, history, config, new Random(seeds.nextLong()),
          outstanding, () -> running));
    }
    for (int i = 0; i < config.consumers(); i++) {
      ConsumerConfig consumerConfig = ConsumerConfig.builder().streaming(i % 2 == 0).build();
      spawn("c" + i, new ConsumerProcess("c" + i, client.newConsumer(consumerConfig), history, config, () -> running));
    }
    for (int i = 0; i < config.groupConsumers(); i++) {
      // Manual commits only, so every commit in the history is one the workload recorded.
      ConsumerConfig groupConfig = ConsumerConfig.builder().groupId(config.group()).enableAutoCommit(false)
          .offsetResetPolicy(OffsetResetPolicy.EARLIEST).streaming(i % 2 == 0).build();
      spawn("g" + i, new GroupConsumerProcess("g" + i, client.newConsumer(groupConfig), history, config,
          () -> running));
    }
  }

  private void spawn(String name, Runnable process) {
    Thread thread = new Thread(process, "workload-" + name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  /**
   * Stops the client processes, closes the producers (what is left fails or ends indeterminate)
   * and waits, up to the settle timeout, until every recorded operation has completed.
   *
   * @return how many operations are still outstanding (0 normally; more is a liveness failure the
   *     checker will report)
   */
  public long stop() throws InterruptedException {
    running = false;
    long joinDeadline = System.nanoTime() + config.settleTimeout().toNanos();
    for (Thread thread : threads) {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
    }
    for (Producer producer : producers) {
      producer.close(config.deliveryTimeout());
    }
    long left = outstanding.awaitNone(config.settleTimeout());
    if (left > 0) {
      LOG.warn("{} operation(s) still outstanding after the settle timeout", left);
    }
    return left;
  }

  /** Reads every partition from every node into the history (after {@link #stop()}). */
  public void finalReads() throws Exception {
    Map<String, String> nodes = cluster.nodes();
    new FinalReader(history, channels, config).readAll(nodes, config.settleTimeout());
  }

  /** setUp, start, run for {@code duration}, stop, final reads. */
  public void run(Duration duration) throws Exception {
    setUp();
    start();
    Thread.sleep(duration.toMillis());
    stop();
    finalReads();
  }

  @Override
  public void close() {
    running = false;
    for (Thread thread : threads) {
      thread.interrupt();
    }
    channels.close();
    if (client != null) {
      client.close();
    }
  }
}
