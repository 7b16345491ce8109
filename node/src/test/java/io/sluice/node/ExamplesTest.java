package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.SluiceClient;
import io.sluice.examples.AtomicTransfer;
import io.sluice.examples.PlainConsumer;
import io.sluice.examples.PlainProducer;
import io.sluice.protocol.Record;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
}
