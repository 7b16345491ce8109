package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import io.sluice.statemachine.LogCore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The end-of-test safety check shared by the cluster tests: what the replicas store. */
final class Replicas {
  private Replicas() {}

  /** An acknowledged send: its value and where the leader said it went. */
  record Ack(String value, int partition, long offset) {}

  /**
   * Waits until every running replica applied the leader's commit index, then checks that on each
   * one every partition's offsets are dense from 0, every acknowledged value sits at its
   * acknowledged offset, no value appears twice, no value whose send was certainly rejected
   * appears, and the replicas' stored bytes are identical.
   */
  static void check(TestCluster c, String topic, Collection<Ack> acked, Collection<String> rejected) {
    c.assertReplicasIdentical();
    for (SluiceNode node : c.nodes.values()) {
      Map<Integer, List<Record>> all = TestCluster.readAll(node, topic);
      Map<String, long[]> where = new HashMap<>();
      for (var e : all.entrySet()) {
        long expected = 0;
        for (Record r : e.getValue()) {
          assertEquals(expected++, r.offset(), node.id() + ": offsets of partition " + e.getKey() + " are not dense");
          String v = new String(r.value(), StandardCharsets.UTF_8);
          long[] previous = where.put(v, new long[] {e.getKey(), r.offset()});
          assertTrue(previous == null, node.id() + ": value " + v + " stored twice");
        }
      }
      for (Ack a : acked) {
        long[] w = where.get(a.value());
        assertTrue(w != null, node.id() + ": acknowledged " + a + " is missing");
        assertEquals(a.partition(), w[0], node.id() + ": " + a + " in the wrong partition");
        assertEquals(a.offset(), w[1], node.id() + ": " + a + " at the wrong offset");
      }
      for (String v : rejected) {
        assertFalse(where.containsKey(v), node.id() + ": rejected value " + v + " was stored");
      }
    }
  }
}
