package io.sluice.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Compressed record batches: layout, round trips, and bounded, checked decompression. */
class RecordBatchCompressionTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Records that compress well: repeated JSON-ish text. */
  private static RecordBatch.Builder compressible(CompressionType type, int count) {
    RecordBatch.Builder b = RecordBatch.builder().compression(type).producer(7, (short) 1, 100);
    for (int i = 0; i < count; i++) {
      b.add(1_000 + i, bytes("key-" + (i % 10)), bytes("{\"order\":" + i + ",\"status\":\"shipped\",\"note\":\"x\"}"),
          List.of(new Header("trace", bytes("abc" + i))));
    }
    return b;
  }

  /** Sets the CRC of {@code batch} as the builder would, after a test tampered with it. */
  private static void recrc(byte[] batch) {
    CRC32C crc = new CRC32C();
    crc.update(batch, RecordBatch.ATTRIBUTES_OFFSET, batch.length - RecordBatch.ATTRIBUTES_OFFSET);
    ByteBuffer.wrap(batch).putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void compressedBatchesAreSmallerStateTheirCodecAndReadBackTheSame(CompressionType type) {
    byte[] plain = compressible(CompressionType.NONE, 200).build();
    byte[] packed = compressible(type, 200).build();
    assertTrue(packed.length < plain.length / 3, type + ": " + packed.length + " of " + plain.length + " bytes");
    ByteBuffer view = ByteBuffer.wrap(packed);
    assertEquals(type, RecordBatch.compression(view));
    assertEquals(type.id(), view.getShort(RecordBatch.ATTRIBUTES_OFFSET));
    assertEquals(plain.length - RecordBatch.HEADER_SIZE, view.getInt(RecordBatch.HEADER_SIZE), "uncompressedLength");
    assertEquals(packed.length - RecordBatch.LOG_OVERHEAD, view.getInt(RecordBatch.LENGTH_OFFSET));
    // The header is the same: the log reads producer fields, counts and timestamps without decompressing.
    for (int offset : new int[] {RecordBatch.PRODUCER_ID_OFFSET, RecordBatch.BASE_SEQUENCE_OFFSET,
        RecordBatch.RECORD_COUNT_OFFSET, RecordBatch.MAX_TIMESTAMP_OFFSET}) {
      assertEquals(ByteBuffer.wrap(plain).getInt(offset), view.getInt(offset));
    }
    RecordBatch.verifyCrc(view); // over the stored (compressed) bytes
    RecordBatch.Info info = RecordBatch.validate(view, 1 << 20);
    assertEquals(200, info.recordCount());
    assertEquals(packed.length, info.sizeBytes());
    assertEquals(RecordBatch.read(ByteBuffer.wrap(RecordBatch.withBaseOffset(plain, 5))),
        RecordBatch.read(ByteBuffer.wrap(RecordBatch.withBaseOffset(packed, 5))));
  }

  /** Property: for random records (seeded), every codec reads back exactly what was added. */
  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void randomBatchesRoundTrip(CompressionType type) {
    long seed = Long.getLong("sluice.test.seed", System.nanoTime());
    Random random = new Random(seed);
    for (int round = 0; round < 200; round++) {
      int count = 1 + random.nextInt(50);
      RecordBatch.Builder b = RecordBatch.builder().compression(type);
      List<Record> expected = new ArrayList<>();
      long base = random.nextLong(1L << 40);
      for (int i = 0; i < count; i++) {
        byte[] key = random.nextInt(4) == 0 ? null : randomBytes(random, random.nextInt(20));
        byte[] value = random.nextInt(10) == 0 ? null : randomBytes(random, random.nextInt(random.nextBoolean() ? 30 : 3000));
        List<Header> headers = random.nextInt(3) == 0
            ? List.of(new Header("h" + i, random.nextBoolean() ? null : randomBytes(random, 5))) : List.of();
        long ts = base + random.nextInt(10_000) - 5_000;
        b.add(ts, key, value, headers);
        expected.add(new Record(1_000 + i, ts, key, value, headers));
      }
      byte[] batch = RecordBatch.withBaseOffset(b.build(), 1_000);
      assertEquals(count, RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20).recordCount(), "seed=" + seed);
      assertEquals(expected, RecordBatch.read(ByteBuffer.wrap(batch)), "seed=" + seed + " round " + round);
    }
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] out = new byte[n];
    // Half the time from a small alphabet, so that something compresses.
    if (random.nextBoolean()) {
      for (int i = 0; i < n; i++) {
        out[i] = (byte) ('a' + random.nextInt(4));
      }
    } else {
      random.nextBytes(out);
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void incompressibleRecordsAreStoredUncompressed(CompressionType type) {
    byte[] noise = new byte[2000];
    new Random(1).nextBytes(noise);
    byte[] batch = RecordBatch.builder().compression(type).add(1, null, noise, List.of()).build();
    assertEquals(CompressionType.NONE, RecordBatch.compression(ByteBuffer.wrap(batch)));
    assertEquals(1, RecordBatch.read(ByteBuffer.wrap(batch)).size());
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void aFlippedStoredByteFailsTheCrcBeforeAnyDecompression(CompressionType type) {
    byte[] batch = compressible(type, 50).build();
    batch[batch.length - 3] ^= 0x40;
    CorruptBatchException e = assertThrows(CorruptBatchException.class, () -> RecordBatch.read(ByteBuffer.wrap(batch)));
    assertTrue(e.getMessage().contains("CRC"), e.getMessage());
    assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20));
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void garbageWithAValidCrcIsCorruptNotACrash(CompressionType type) {
    byte[] batch = compressible(type, 50).build();
    for (int i = RecordBatch.HEADER_SIZE + RecordBatch.UNCOMPRESSED_LENGTH_SIZE; i < batch.length; i += 3) {
      batch[i] = (byte) (batch[i] * 31 + 7);
    }
    recrc(batch);
    assertThrows(CorruptBatchException.class, () -> RecordBatch.read(ByteBuffer.wrap(batch)));
    assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20));
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void aWrongUncompressedLengthIsCorrupt(CompressionType type) {
    for (int delta : new int[] {-1, 1}) {
      byte[] batch = compressible(type, 50).build();
      ByteBuffer b = ByteBuffer.wrap(batch);
      b.putInt(RecordBatch.HEADER_SIZE, b.getInt(RecordBatch.HEADER_SIZE) + delta);
      recrc(batch);
      assertThrows(CorruptBatchException.class, () -> RecordBatch.read(ByteBuffer.wrap(batch)), "delta " + delta);
    }
  }

  /**
   * A "zip bomb": a few KiB that inflate to 64 MiB + 1 byte of zeros. Refused from its stated
   * length, before the output is allocated; and a batch that lies about its length (states a
   * small one) fails when the data does not fit it.
   */
  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"LZ4", "ZSTD"})
  void aBatchInflatingPastTheLimitIsCorruptNotAnOutOfMemory(CompressionType type) {
    int huge = RecordBatch.UNCOMPRESSED_BYTES_MAX + 1;
    byte[] bomb = BatchCompression.compress(type, new byte[huge], 0, huge);
    assertTrue(bomb.length < 1 << 20, "the bomb is small: " + bomb.length);
    for (int stated : new int[] {huge, 1000}) {
      byte[] batch = new byte[RecordBatch.HEADER_SIZE + RecordBatch.UNCOMPRESSED_LENGTH_SIZE + bomb.length];
      byte[] header = compressible(type, 1).build();
      System.arraycopy(header, 0, batch, 0, RecordBatch.HEADER_SIZE);
      ByteBuffer b = ByteBuffer.wrap(batch);
      b.putInt(RecordBatch.LENGTH_OFFSET, batch.length - RecordBatch.LOG_OVERHEAD);
      b.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) type.id());
      b.putInt(RecordBatch.HEADER_SIZE, stated);
      System.arraycopy(bomb, 0, batch, RecordBatch.HEADER_SIZE + RecordBatch.UNCOMPRESSED_LENGTH_SIZE, bomb.length);
      recrc(batch);
      CorruptBatchException e = assertThrows(CorruptBatchException.class, () -> RecordBatch.read(ByteBuffer.wrap(batch)));
      assertTrue(e.getMessage().contains(String.valueOf(stated)), e.getMessage());
      assertThrows(CorruptBatchException.class, () -> RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20));
    }
  }

  @Test
  void theLeaderBoundsInflationByRecordCountTimesTheRecordLimit() {
    // 10 records of ~1 KiB each inflate to ~10 KiB; with a 512-byte record limit the batch
    // may state at most 10 x 512 bytes: refused as corrupt before decompressing.
    RecordBatch.Builder b = RecordBatch.builder().compression(CompressionType.ZSTD);
    for (int i = 0; i < 10; i++) {
      b.add(1, null, new byte[1000], List.of());
    }
    byte[] batch = b.build();
    CorruptBatchException e = assertThrows(CorruptBatchException.class,
        () -> RecordBatch.validate(ByteBuffer.wrap(batch), 512));
    assertTrue(e.getMessage().contains("[1, 5120]"), e.getMessage());
    assertEquals(10, RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20).recordCount());
    // Within it, an oversized record is the usual RecordTooLargeException, found after decompressing.
    RecordBatch.Builder mixed = RecordBatch.builder().compression(CompressionType.ZSTD);
    for (int i = 0; i < 9; i++) {
      mixed.add(1, null, new byte[10], List.of());
    }
    mixed.add(1, null, new byte[1000], List.of());
    byte[] oneTooLarge = mixed.build();
    assertEquals(CompressionType.ZSTD, RecordBatch.compression(ByteBuffer.wrap(oneTooLarge)));
    assertThrows(RecordTooLargeException.class, () -> RecordBatch.validate(ByteBuffer.wrap(oneTooLarge), 900));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 5, 6, 7})
  void unsupportedCodecIdsAreRefused(int codec) {
    byte[] batch = compressible(CompressionType.NONE, 3).build();
    ByteBuffer.wrap(batch).putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) codec);
    recrc(batch);
    CorruptBatchException e = assertThrows(CorruptBatchException.class,
        () -> RecordBatch.validate(ByteBuffer.wrap(batch), 1 << 20));
    assertTrue(e.getMessage().contains("codec " + codec), e.getMessage());
    assertThrows(CorruptBatchException.class, () -> RecordBatch.read(ByteBuffer.wrap(batch)));
  }

  @Test
  void namesParseForTheCli() {
    assertEquals(CompressionType.LZ4, CompressionType.parse("LZ4"));
    assertEquals(CompressionType.ZSTD, CompressionType.parse(" zstd"));
    assertEquals(CompressionType.NONE, CompressionType.parse("none"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CompressionType.parse("gzip"));
    assertTrue(e.getMessage().contains("none, lz4 or zstd"));
  }
}
