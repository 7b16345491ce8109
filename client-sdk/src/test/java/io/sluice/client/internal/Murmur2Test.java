package io.sluice.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.PartitionerKind;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Murmur2Test {

  private static int murmur2(String s) {
    return Murmur2.hash(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** Vectors from Apache Kafka's UtilsTest#testMurmur2 (clients/src/test/.../utils/UtilsTest.java). */
  @Test
  void matchesKafkaVectors() {
    assertEquals(-973932308, murmur2("21"));
    assertEquals(-790332482, murmur2("foobar"));
    assertEquals(-985981536, murmur2("a-little-bit-long-string"));
    assertEquals(-1486304829, murmur2("a-little-bit-longer-string"));
    assertEquals(-58897971, murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"));
    assertEquals(479470107, Murmur2.hash(new byte[] {'a', 'b', 'c'}));
  }

  @Test
  void toPositiveClearsTheSignBitOnly() {
    assertEquals(0, Murmur2.toPositive(Integer.MIN_VALUE));
    assertEquals(Integer.MAX_VALUE, Murmur2.toPositive(-1));
    assertEquals(5, Murmur2.toPositive(5));
  }

  @Test
  void keyedPartitionIsToPositiveMurmur2ModCount() {
    Partitioner p = new Partitioner(PartitionerKind.DEFAULT);
    // -973932308 & 0x7fffffff = 1173551340; % 7 = 1173551340 - 7*167650191 = 3
    assertEquals(3, p.partition("t", "21".getBytes(StandardCharsets.US_ASCII), 7));
    for (int i = 0; i < 1000; i++) {
      byte[] key = ("key-" + i).getBytes(StandardCharsets.UTF_8);
      int expected = (Murmur2.hash(key) & 0x7fffffff) % 12;
      assertEquals(expected, p.partition("t", key, 12));
      assertEquals(expected, p.partition("t", key, 12), "same key, same partition");
    }
  }

  @Test
  void stickyPartitionHoldsUntilItsBatchCloses() {
    Partitioner p = new Partitioner(PartitionerKind.DEFAULT);
    int first = p.partition("t", null, 4);
    for (int i = 0; i < 100; i++) {
      assertEquals(first, p.partition("t", null, 4));
    }
    p.onBatchClosed("t", (first + 1) % 4); // another partition's batch: no change
    assertEquals(first, p.partition("t", null, 4));
    p.onBatchClosed("t", first);
    assertNotEquals(first, p.partition("t", null, 4));
  }

  @Test
  void roundRobinVisitsEveryPartition() {
    Partitioner p = new Partitioner(PartitionerKind.ROUND_ROBIN);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      seen.add(p.partition("t", "same-key".getBytes(StandardCharsets.UTF_8), 5));
    }
    assertEquals(5, seen.size());
    assertTrue(seen.contains(0));
  }
}
