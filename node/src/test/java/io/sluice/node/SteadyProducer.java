package io.sluice.node;

import io.sluice.client.Producer;
import io.sluice.client.ProducerConfig;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import io.sluice.client.WriteOutcome;
import io.sluice.node.Replicas.Ack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Produces numbered values ("w0", "w1", …) to one topic from a background thread, at a bounded
 * rate and with a bounded number in flight, until closed, and records what is known of each send:
 * acknowledged (where), certainly not written, or indeterminate. The SDK retries NOT_WRITTEN
 * failures itself within the (long) delivery timeout, so a send only fails here when retrying
 * could not help in time.
 */
final class SteadyProducer implements AutoCloseable {
  private static final int IN_FLIGHT_MAX = 256;

  final Map<String, Ack> acked = new ConcurrentHashMap<>();
  final List<String> rejected = Collections.synchronizedList(new ArrayList<>());
  final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger indeterminate = new AtomicInteger();
  final AtomicInteger sent = new AtomicInteger();

  private final Producer producer;
  private final String topic;
  private final Semaphore inFlight = new Semaphore(IN_FLIGHT_MAX);
  private final Thread thread;
  private volatile boolean running = true;

  SteadyProducer(SluiceClient client, String topic) {
    this.topic = topic;
    this.producer = client.newProducer(ProducerConfig.builder()
        .linger(Duration.ofMillis(2))
        .deliveryTimeout(Duration.ofSeconds(60))
        .build());
    this.thread = new Thread(this::run, "steady-producer-" + topic);
    thread.start();
  }

  private void run() {
    try {
      for (int i = 0; running; i++) {
        inFlight.acquire();
        String value = "w" + i;
        sent.incrementAndGet();
        producer.send(ProducerRecord.of(topic, value.getBytes(StandardCharsets.UTF_8))).whenComplete((m, e) -> {
          if (e == null) {
            acked.put(value, new Ack(value, m.partition(), m.offset()));
          } else {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof SluiceException s && s.writeOutcome() == WriteOutcome.NOT_WRITTEN) {
              rejected.add(value);
            } else {
              indeterminate.incrementAndGet();
            }
            if (failures.size() < 20) {
              failures.add(value + ": " + cause);
            }
          }
          inFlight.release();
        });
        if (i % 10 == 9) {
          Thread.sleep(10); // a stream over time (at most ~1,000 records/s), not one burst
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  int ackedCount() {
    return acked.size();
  }

  /** Waits until {@code more} sends beyond those acknowledged now are acknowledged. */
  void awaitMoreAcked(int more, Duration timeout, String during) {
    int target = ackedCount() + more;
    TestCluster.await(timeout, more + " more acknowledged records " + during + " (failures so far: " + failures + ")",
        () -> ackedCount() >= target);
  }

  /** Stops sending and waits until every send has completed. */
  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(TimeUnit.SECONDS.toMillis(30));
    producer.flush();
    if (!inFlight.tryAcquire(IN_FLIGHT_MAX, 90, TimeUnit.SECONDS)) {
      throw new AssertionError("sends still pending 90 s after the producer stopped");
    }
    producer.close();
  }

  String summary() {
    return "sent=" + sent.get() + " acked=" + acked.size() + " rejected=" + rejected.size() + " indeterminate="
        + indeterminate.get() + (failures.isEmpty() ? "" : " first failures: " + failures);
  }
}
