package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.SluiceClient;
import io.sluice.client.ConsumerGroupDescription;
import io.sluice.examples.AtomicTransfer;
import io.sluice.examples.ExactlyOnceTransform;
import io.sluice.examples.GroupConsumer;
import io.sluice.examples.PlainConsumer;
import io.sluice.examples.PlainProducer;
import io.sluice.protocol.Record;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The SDK examples (module examples/) run against a 3-node cluster and do what they say. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ExamplesTest {
  @TempDir
  Path tmp;

  /** Runs {@code main} with System.out captured; returns what it printed. */
  private static String run(ThrowingMain main) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      main.run();
    } finally {
      System.setOut(original);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    System.out.print(printed);
    return printed;
  }

  private interface ThrowingMain {
    void run() throws Exception;
  }

  @Test
  void producerConsumerAndAtomicTransferExamplesWork() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
        SluiceClient admin = SluiceClient.builder().bootstrap(c.bootstrap()).build()) {
      admin.admin().createTopic("orders", 3).get(30, TimeUnit.SECONDS);
      admin.admin().createTopic("ledger", 4).get(30, TimeUnit.SECONDS);
      admin.admin().createTopic("audit", 1).get(30, TimeUnit.SECONDS);
      String bootstrap = c.bootstrap();

      String produced = run(() -> PlainProducer.main(new String[] {bootstrap, "orders", "500"}));
      assertTrue(produced.contains("sent 500 records"), produced);
      String consumed = run(() -> PlainConsumer.main(new String[] {bootstrap, "orders"}));
      assertTrue(consumed.contains("read 500 records"), consumed);
      assertEquals(501, consumed.lines().count());

      String transfers = run(() -> AtomicTransfer.main(new String[] {bootstrap, "40"}));
      assertTrue(transfers.contains("made 40 transfers"), transfers);
      c.assertReplicasIdentical();
      SluiceNode any = c.nodes.values().iterator().next();
      List<Record> audit = TestCluster.readAll(any, "audit").get(0);
      assertEquals(40, audit.size());
      long ledgerRecords = TestCluster.readAll(any, "ledger").values().stream().mapToLong(List::size).sum();
      assertEquals(80, ledgerRecords, "a debit and a credit per transfer");
    }
  }

  @Test
  void groupConsumerAndExactlyOnceTransformExamplesWork() throws Exception {
    try (TestCluster c = TestCluster.start(tmp, 3, Map.of());
        SluiceClient admin = SluiceClient.builder().bootstrap(c.bootstrap()).build()) {
      admin.admin().createTopic("orders", 3).get(30, TimeUnit.SECONDS);
      admin.admin().createTopic("orders-upper", 2).get(30, TimeUnit.SECONDS);
      String bootstrap = c.bootstrap();
      String produced = run(() -> PlainProducer.main(new String[] {bootstrap, "orders", "300"}));
      assertTrue(produced.contains("sent 300 records"), produced);

      // The group consumer sees every record once and commits them all.
      String consumed = run(() -> GroupConsumer.main(new String[] {bootstrap, "orders", "readers", "300", "60"}));
      assertTrue(consumed.contains("consumed 300 records"), consumed);
      Map<String, Integer> values = new TreeMap<>();
      consumed.lines().filter(l -> l.matches("\\d+:\\d+ .*"))
          .forEach(l -> values.merge(l.substring(l.indexOf(' ') + 1), 1, Integer::sum));
      assertEquals(exactlyOnce("order ", 300), values);
      assertAllCommitted(admin, "readers", 3);

      // The transform, stopped after 120 records and restarted: each input is in the output once.
      String first = run(() -> ExactlyOnceTransform.main(
          new String[] {bootstrap, "orders", "orders-upper", "upper", "120", "60"}));
      assertTrue(first.contains("transformed 120 records"), first);
      String second = run(() -> ExactlyOnceTransform.main(
          new String[] {bootstrap, "orders", "orders-upper", "upper", "180", "60"}));
      assertTrue(second.contains("transformed 180 records"), second);
      String third = run(() -> ExactlyOnceTransform.main(
          new String[] {bootstrap, "orders", "orders-upper", "upper", "1000", "5"}));
      assertTrue(third.contains("transformed 0 records"), "nothing left to transform: " + third);
      assertAllCommitted(admin, "upper", 3);
      c.assertReplicasIdentical();
      SluiceNode any = c.nodes.values().iterator().next();
      Map<String, Integer> outputs = new TreeMap<>();
      TestCluster.readAll(any, "orders-upper").values().forEach(records -> records.forEach(
          r -> outputs.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum)));
      assertEquals(exactlyOnce("ORDER ", 300), outputs);
    }
  }

  /** {@code prefix + i} for i in [0, n), each counted once. */
  private static Map<String, Integer> exactlyOnce(String prefix, int n) {
    Map<String, Integer> out = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      out.put(prefix + i, 1);
    }
    return out;
  }

  /** The group has committed the end offset of each of the topic's {@code partitions} (lag 0). */
  private static void assertAllCommitted(SluiceClient admin, String group, int partitions) throws Exception {
    // describeGroup reads the answering node's applied state, which may trail the commit briefly.
    TestCluster.await(Duration.ofSeconds(10), "group " + group + " fully committed", () -> {
      ConsumerGroupDescription d = admin.admin().describeGroup(group).join();
      return d.offsets().size() == partitions && d.offsets().stream().allMatch(o -> o.lag() == 0);
    });
    ConsumerGroupDescription d = admin.admin().describeGroup(group).get(30, TimeUnit.SECONDS);
    assertEquals(partitions, d.offsets().size(), d.toString());
    assertTrue(d.offsets().stream().allMatch(o -> o.lag() == 0), d.toString());
  }
}
