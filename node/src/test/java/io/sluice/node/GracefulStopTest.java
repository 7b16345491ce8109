package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.ProduceResponse;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.client.SluiceClient;
import io.sluice.node.Replicas.Ack;
import io.sluice.protocol.SluiceErrors;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What SIGTERM does to a leader under load ({@link SluiceNode#close}), observed by a raw gRPC
 * client that never retries: every write sent to it until it starts refusing ends either
 * acknowledged or certainly not written (never "outcome unknown"), it hands leadership to a
 * follower, and nothing acknowledged is lost.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GracefulStopTest {
  @TempDir
  Path tmp;

  @Test
  void stoppingTheLeaderFinishesWritesInFlightAndHandsLeadershipOver() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of())) {
      try (SluiceClient client = SluiceClient.builder().bootstrap(c.bootstrap()).build()) {
        client.admin().createTopic("g", 1).get(60, TimeUnit.SECONDS);
      }
      SluiceNode leader = c.currentLeader();
      ManagedChannel channel = NettyChannelBuilder.forTarget(c.clientAddress(leader.id())).usePlaintext().build();
      Map<String, Ack> acked = new ConcurrentHashMap<>();
      List<String> rejected = Collections.synchronizedList(new ArrayList<>());
      List<String> unknown = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean refusing = new AtomicBoolean();
      AtomicInteger sent = new AtomicInteger();
      CountDownLatch answered = new CountDownLatch(1);
      AtomicInteger outstanding = new AtomicInteger(1); // the sender's own count, released when it stops
      ProduceServiceGrpc.ProduceServiceStub stub = ProduceServiceGrpc.newStub(channel);

      // Sends without waiting for answers, until the leader starts refusing (it is stopping).
      Thread sender = new Thread(() -> {
        for (int i = 0; !refusing.get() && i < 20_000; i++) {
          String value = "g" + i;
          outstanding.incrementAndGet();
          sent.incrementAndGet();
          // The client's own deadline is long: the node's answers decide each outcome, not a client
          // starved of CPU on a loaded machine.
          stub.withDeadlineAfter(60, TimeUnit.SECONDS).produce(
              BadInputTest.request("g", 0, BadInputTest.batch(value)), new StreamObserver<ProduceResponse>() {
                @Override
                public void onNext(ProduceResponse r) {
                  acked.put(value, new Ack(value, 0, r.getResults(0).getBaseOffset()));
                }

                @Override
                public void onError(Throwable t) {
                  if (SluiceErrors.NOT_WRITTEN.equals(ErrorDetails.writeOutcome(t))) {
                    rejected.add(value);
                    refusing.set(true);
                  } else {
                    unknown.add(value + ": " + t);
                  }
                  done();
                }

                @Override
                public void onCompleted() {
                  done();
                }

                private void done() {
                  if (outstanding.decrementAndGet() == 0) {
                    answered.countDown();
                  }
                }
              });
          if (i % 5 == 4) {
            sleepMs(2);
          }
        }
        if (outstanding.decrementAndGet() == 0) {
          answered.countDown();
        }
      }, "raw-producer");
      sender.start();
      TestCluster.await(Duration.ofSeconds(30), "writes to be acknowledged", () -> acked.size() >= 200);

      // The first leader each survivor learns of after the stop begins: the one the hand-off made,
      // even if an election under load moves leadership again before the test looks.
      Map<String, String> firstNewLeader = new ConcurrentHashMap<>();
      for (SluiceNode survivor : c.nodes.values()) {
        if (survivor != leader) {
          survivor.stateMachine().addLeaderChangeListener(id -> {
            if (!id.equals(leader.id())) {
              firstNewLeader.putIfAbsent(survivor.id(), id);
            }
          });
        }
      }
      c.stop(leader.id());

      sender.join(TimeUnit.SECONDS.toMillis(30));
      assertTrue(answered.await(90, TimeUnit.SECONDS), "every write was answered");
      channel.shutdownNow();
      System.out.printf("graceful stop under load: sent=%d acked=%d rejected=%d unknown=%d%n",
          sent.get(), acked.size(), rejected.size(), unknown.size());
      assertEquals(List.of(), unknown, "no write sent to the stopping leader ended with an unknown outcome");
      assertTrue(refusing.get(), "the stopping leader refused new writes (not written)");

      c.awaitLeader(Duration.ofSeconds(30));
      assertTrue(leader.handedLeadershipTo().isPresent(), "the stopping leader handed leadership over");
      assertEquals(Set.of(leader.handedLeadershipTo().get()), Set.copyOf(firstNewLeader.values()),
          "the follower it handed leadership to is the next leader each survivor saw: " + firstNewLeader);
      c.startNode(leader.id());
      Replicas.check(c, "g", acked.values(), rejected);
    }
  }

  private static void sleepMs(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
