package io.sluice.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordBatchTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void roundTripsKeysValuesHeadersAndTimestamps() {
    byte[] batch = RecordBatch.builder()
        .add(1000, bytes("k1"), bytes("v1"), List.of(new Header("h", bytes("x"))))
        .add(990, null, bytes("v2"), List.of())
        .add(1005, bytes("k3"), null, List.of(new Header("n", null)))
        .build();
    RecordBatch.Info info = RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20);
    assertEquals(3, info.recordCount());
    assertEquals(1005, info.maxTimestampMs());
    List<Record> records = RecordBatch.read(ByteBuffer.wrap(RecordBatch.withBaseOffset(batch, 42)));
    assertEquals(List.of(
        new Record(42, 1000, bytes("k1"), bytes("v1"), List.of(new Header("h", bytes("x")))),
        new Record(43, 990, null, bytes("v2"), List.of()),
        new Record(44, 1005, bytes("k3"), null, List.of(new Header("n", null)))), records);
  }

  @Test
  void settingTheBaseOffsetKeepsTheCrcValid() {
    byte[] batch = RecordBatch.builder().add(1, null, bytes("a"), List.of()).build();
    byte[] moved = RecordBatch.withBaseOffset(batch, Long.MAX_VALUE - 10);
    RecordBatch.verifyCrc(ByteBuffer.wrap(moved));
    assertEquals(Long.MAX_VALUE - 10, RecordBatch.baseOffset(ByteBuffer.wrap(moved)));
    assertEquals(0, RecordBatch.baseOffset(ByteBuffer.wrap(batch)), "the original is not modified");
  }

  @Test
  void settingTheBaseOffsetFromAByteStringCopiesAndPatchesOnlyTheCopy() {
    byte[] batch = RecordBatch.builder().add(1, null, bytes("a"), List.of()).add(2, null, bytes("b"), List.of()).build();
    byte[] padded = new byte[batch.length + 8];
    System.arraycopy(batch, 0, padded, 4, batch.length);
    com.google.protobuf.ByteString aliased = com.google.protobuf.UnsafeByteOperations.unsafeWrap(padded, 4, batch.length);
    byte[] moved = RecordBatch.withBaseOffset(aliased, 7);
    RecordBatch.verifyCrc(ByteBuffer.wrap(moved));
    assertArrayEquals(RecordBatch.withBaseOffset(batch, 7), moved);
    assertEquals(0, RecordBatch.baseOffset(aliased.asReadOnlyByteBuffer()), "the source is not modified");
  }

  @Test
  void sizeEstimateIsExact() {
    Random random = new Random(7);
    RecordBatch.Builder b = RecordBatch.builder();
    for (int i = 0; i < 500; i++) {
      byte[] value = new byte[random.nextInt(300)];
      random.nextBytes(value);
      long ts = 1_700_000_000_000L + random.nextInt(100_000) - 50_000;
      int before = b.estimatedSizeBytes();
      int next = b.sizeOfNext(ts, i % 3 == 0 ? null : bytes("key" + i), value, List.of());
      b.add(ts, i % 3 == 0 ? null : bytes("key" + i), value, List.of());
      assertEquals(before + next, b.estimatedSizeBytes());
    }
    assertEquals(b.estimatedSizeBytes(), b.build().length);
  }

  @Test
  void everyFlippedBitIsCaught() {
    byte[] batch = RecordBatch.builder().add(5, bytes("k"), bytes("value"), List.of()).build();
    for (int i = RecordBatch.LENGTH_OFFSET; i < batch.length; i++) {
      byte[] bad = batch.clone();
      bad[i] ^= 0x10;
      assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(bad), 1 << 20),
          "flip at byte " + i);
    }
  }

  @Test
  void structuralLiesBehindAValidCrcAreCaught() {
    byte[] batch = RecordBatch.builder().add(5, null, bytes("v"), List.of()).add(6, null, bytes("w"), List.of()).build();
    ByteBuffer b = ByteBuffer.wrap(batch);
    b.putInt(RecordBatch.RECORD_COUNT_OFFSET, 3);
    b.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 2);
    rewriteCrc(batch);
    CorruptBatchException e = assertThrows(CorruptBatchException.class,
        () -> RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20));
    assertTrue(e.getMessage().contains("record 2"), e.getMessage());
  }

  @Test
  void truncatedAndGarbageInputsAreRejected() {
    assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(new byte[10]), 100));
    byte[] garbage = new byte[200];
    new Random(1).nextBytes(garbage);
    assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(garbage), 1 << 20));
    byte[] batch = RecordBatch.builder().add(5, null, bytes("v"), List.of()).build();
    byte[] truncated = java.util.Arrays.copyOf(batch, batch.length - 1);
    assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(truncated), 1 << 20));
  }

  @Test
  void recordsOverTheLimitAreRejected() {
    byte[] batch = RecordBatch.builder().add(5, null, new byte[2000], List.of()).build();
    RecordBatch.validate(ByteBuffer.wrap(batch), 2100);
    assertThrows(RecordTooLargeException.class, () -> RecordBatch.validate(ByteBuffer.wrap(batch), 1000));
  }

  @Test
  void topicNameRules() {
    assertNull(TopicNames.problem("orders.v1_A-2"));
    assertNull(TopicNames.problem("x".repeat(249)));
    assertTrue(TopicNames.problem("").contains("empty"));
    assertTrue(TopicNames.problem("x".repeat(250)).contains("250"));
    assertTrue(TopicNames.problem("a b").contains("outside"));
    assertTrue(TopicNames.problem("é").contains("outside"));
    assertTrue(TopicNames.problem("..").contains("'.'"));
  }

  private static void rewriteCrc(byte[] batch) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(batch, RecordBatch.ATTRIBUTES_OFFSET, batch.length - RecordBatch.ATTRIBUTES_OFFSET);
    ByteBuffer.wrap(batch).putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
  }

  @Test
  void readCopiesNothingItShouldNot() {
    byte[] batch = RecordBatch.builder().add(5, bytes("k"), bytes("v"), List.of()).build();
    Record r = RecordBatch.read(ByteBuffer.wrap(batch)).get(0);
    assertArrayEquals(bytes("v"), r.value());
  }
}
