package io.sluice.testcontainers;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.Consumer;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.client.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One node in a container, reached through its published port, as an application test would. */
class SluiceContainerIT {
  @Test
  void producesAndConsumesThroughThePublishedPort() throws Exception {
    try (SluiceContainer sluice = new SluiceContainer().withNodeConfig("commit.timeout.ms", "7000")) {
      sluice.start();
      assertTrue(sluice.getBootstrap().matches(".+:\\d+"), sluice.getBootstrap());
      try (SluiceClient client = SluiceClient.builder().bootstrap(sluice.getBootstrap()).build()) {
        client.admin().createTopic("orders", 2, Map.of()).get();
        try (Producer producer = client.newProducer()) {
          for (int i = 0; i < 10; i++) {
            producer.send(ProducerRecord.builder("orders").partition(i % 2).value(("v" + i).getBytes(UTF_8)).build())
                .get();
          }
        }
        List<String> values = new ArrayList<>();
        try (Consumer consumer = client.newConsumer()) {
          consumer.assign(List.of(new TopicPartition("orders", 0)));
          for (int i = 0; i < 50 && values.size() < 5; i++) {
            for (ConsumerRecord r : consumer.poll(Duration.ofMillis(500))) {
              values.add(new String(r.value(), UTF_8));
            }
          }
        }
        assertEquals(List.of("v0", "v2", "v4", "v6", "v8"), values);
      }
      // The key set with withNodeConfig reached the node.
      assertTrue(sluice.getLogs().contains("commit.timeout.ms=7000"), "node config passed through");
    }
  }
}
