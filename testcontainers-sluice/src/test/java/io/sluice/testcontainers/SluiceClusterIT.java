package io.sluice.testcontainers;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A 3-node cluster: IP addressing, kill -9 and restart from the host data directory. */
class SluiceClusterIT {
  @Test
  void survivesLeaderCrashAndRestartsFromItsDisk() throws Exception {
    SluiceCluster cluster = SluiceCluster.builder().nodes(3).build();
    try (cluster) {
      cluster.start();
      assertEquals(3, cluster.nodes().size());
      assertEquals(3, cluster.bootstrap().split(",").length);
      assertTrue(cluster.node("n1").ip().matches("\\d+\\.\\d+\\.\\d+\\.11"), cluster.node("n1").ip());
      SluiceClusterNode leader = cluster.leader().orElseThrow();
      try (SluiceClient client = SluiceClient.builder().bootstrap(cluster.bootstrap()).build()) {
        client.admin().createTopic("t", 1, Map.of()).get();
        try (Producer producer = client.newProducer()) {
          for (int i = 0; i < 5; i++) {
            producer.send(ProducerRecord.builder("t").partition(0).value(("a" + i).getBytes(UTF_8)).build()).get();
          }
          long pid = leader.hostPid();
          assertTrue(pid > 0);
          leader.kill();
          assertFalse(leader.running());
          for (int i = 5; i < 10; i++) {
            producer.send(ProducerRecord.builder("t").partition(0).value(("a" + i).getBytes(UTF_8)).build()).get();
          }
          SluiceClusterNode newLeader = cluster.leader().orElseThrow();
          assertNotEquals(leader.id(), newLeader.id());
        }
        leader.start();
        cluster.awaitReady(Duration.ofMinutes(1));
        // The restarted node serves all ten records, the first five from its own disk.
        try (SluiceClient only = SluiceClient.builder().bootstrap(leader.clientAddress()).build();
             Consumer consumer = only.newConsumer()) {
          consumer.assign(List.of(new TopicPartition("t", 0)));
          List<String> values = new ArrayList<>();
          for (int i = 0; i < 60 && values.size() < 10; i++) {
            for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
              values.add(new String(r.value(), UTF_8));
            }
          }
          assertEquals(List.of("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"), values);
        }
      }
      assertTrue(Files.isDirectory(cluster.node("n1").dataDirectory()));
    }
    // close() removed the containers and the data.
    assertFalse(Files.exists(cluster.dataRoot()), "data root deleted");
  }
}
