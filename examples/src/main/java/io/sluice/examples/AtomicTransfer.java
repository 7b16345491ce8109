package io.sluice.examples;

import io.sluice.client.CommitFailedException;
import io.sluice.client.IndeterminateException;
import io.sluice.client.Producer;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Atomic writes across topics: each money transfer writes a debit, a credit (to the accounts'
 * partitions of {@code ledger}) and an audit entry (to {@code audit}) with one
 * {@link Producer#sendAtomically(List)} call. A reader on any node sees all three records of a
 * transfer or none of them, even if the leader crashes mid-write.
 *
 * <pre>
 * bin/sluice topic create ledger --partitions 4
 * bin/sluice topic create audit --partitions 1
 * java -cp … io.sluice.examples.AtomicTransfer 127.0.0.1:7070 100
 * </pre>
 */
public final class AtomicTransfer {
  private AtomicTransfer() {}

  /**
   * Makes {@code count} transfers between accounts 0..3, one atomic write each.
   *
   * @param args bootstrap (host:port[,host:port…]), count
   */
  public static void main(String[] args) {
    String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:7070";
    int count = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    try (SluiceClient client = SluiceClient.builder().bootstrap(bootstrap).build();
        Producer producer = client.newProducer()) {
      for (int i = 0; i < count; i++) {
        int from = i % 4;
        int to = (i + 1) % 4;
        String id = "t" + i;
        List<ProducerRecord> transfer = List.of(
            ProducerRecord.builder("ledger").partition(from).key(utf8("account-" + from))
                .value(utf8(id + " debit 10")).build(),
            ProducerRecord.builder("ledger").partition(to).key(utf8("account-" + to))
                .value(utf8(id + " credit 10")).build(),
            ProducerRecord.builder("audit").partition(0).value(utf8(id + " " + from + "->" + to + " 10")).build());
        try {
          List<RecordMetadata> where = producer.sendAtomically(transfer).join();
          if (i == count - 1) {
            System.out.println("transfer " + id + ": debit at offset " + where.get(0).offset() + ", credit at "
                + where.get(1).offset() + ", audit at " + where.get(2).offset());
          }
        } catch (CompletionException e) {
          throw explain(id, e.getCause());
        }
      }
      System.out.println("made " + count + " transfers");
    }
  }

  /** What a failed atomic write means for the application. */
  private static RuntimeException explain(String id, Throwable failure) {
    if (failure instanceof IndeterminateException) {
      // Rare with the idempotent producer (e.g. no leader for the whole delivery timeout):
      // the transfer is all there or not at all; read the audit topic to find out which.
      return new IllegalStateException("transfer " + id + " has an unknown outcome", failure);
    }
    if (failure instanceof CommitFailedException) {
      return new IllegalStateException("unexpected: no group offsets were sent", failure);
    }
    if (failure instanceof SluiceException s) {
      // NOT_WRITTEN: none of the three records was stored; safe to try the transfer again.
      return new IllegalStateException("transfer " + id + " was not made (" + s.writeOutcome() + ")", failure);
    }
    return new IllegalStateException(failure);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
