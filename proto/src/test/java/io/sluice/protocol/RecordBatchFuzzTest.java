package io.sluice.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzes the record batch decoder with outside bytes: arbitrary bytes, and mutations of the
 * seed corpus in {@code src/test/resources/fuzz/record-batch} (valid batches of every codec plus
 * every input that once broke the decoder). Mutations re-seal the CRC (and, for compressed
 * batches, re-compress the mutated records) so they reach the record parser instead of stopping
 * at the checksum.
 *
 * <p>The only acceptable outcomes are a decoded batch or the documented typed errors
 * ({@link CorruptBatchException}, {@link RecordTooLargeException}); and a batch that
 * {@link RecordBatch#validate} accepts (so the log stores it) must be readable by
 * {@link RecordBatch#read} (so consumers can fetch it). Bounded by tries: a few seconds.
 * A failure prints jqwik's seed; rerun with {@code @Property(seed = "…")}. Add the shrunk input to
 * the corpus (as {@code <name>.bin}) once the decoder is fixed.
 */
class RecordBatchFuzzTest {
  static final Path CORPUS = Paths.get("src/test/resources/fuzz/record-batch");
  private static final int RECORD_BYTES_MAX = 64 << 10;
  private static final int INFLATE_MAX = 4 << 20;

  /** Decodes like the leader (validate) and a consumer (read); returns whether validate accepted it. */
  static boolean decode(byte[] bytes) {
    boolean accepted;
    try {
      RecordBatch.validate(ByteBuffer.wrap(bytes), RECORD_BYTES_MAX);
      accepted = true;
    } catch (CorruptBatchException | RecordTooLargeException e) {
      assertFalse(e.getMessage() == null || e.getMessage().isBlank(), "typed error without a message");
      accepted = false;
    }
    try {
      List<Record> records = RecordBatch.read(ByteBuffer.wrap(bytes), INFLATE_MAX);
      if (accepted) {
        assertEquals(RecordBatch.recordCount(ByteBuffer.wrap(bytes)), records.size());
      }
    } catch (CorruptBatchException e) {
      if (accepted) {
        throw new AssertionError("validate accepted a batch that read refuses: " + e.getMessage()
            + "\n" + hex(bytes), e);
      }
    }
    return accepted;
  }

  @Property(tries = 3000)
  void arbitraryBytesGetATypedError(@ForAll @Size(max = 400) byte[] bytes) {
    decode(bytes);
  }

  @Property(tries = 3000)
  void arbitraryBytesBehindAValidHeaderGetATypedError(@ForAll @Size(max = 400) byte[] records,
      @ForAll("codecs") CompressionType codec, @ForAll int recordCount) {
    boolean accepted = decode(seal(header(Math.floorMod(recordCount, 64) + 1), records, codec));
    Statistics.label("outcome").collect(accepted ? "accepted" : "refused");
  }

  @Property(tries = 2000)
  void mutatedCorpusBatchesGetATypedError(@ForAll("mutants") byte[] mutant) {
    Statistics.label("outcome").collect(decode(mutant) ? "accepted" : "refused");
  }

  @Example
  void everyCorpusEntryDecodesOrGetsATypedError() {
    List<byte[]> corpus = corpus();
    assertFalse(corpus.isEmpty(), "no seed corpus in " + CORPUS.toAbsolutePath());
    for (byte[] entry : corpus) {
      decode(entry);
    }
  }

  @Provide
  Arbitrary<CompressionType> codecs() {
    return Arbitraries.of(CompressionType.NONE, CompressionType.LZ4, CompressionType.ZSTD);
  }

  /** A corpus batch, its records decompressed, mutated, then re-sealed with some codec. */
  @Provide
  Arbitrary<byte[]> mutants() {
    Arbitrary<byte[]> seeds = Arbitraries.of(corpus().stream().filter(RecordBatchFuzzTest::sealable).toList());
    Arbitrary<int[]> edits = Arbitraries.integers().array(int[].class).ofMinSize(1).ofMaxSize(6);
    return Combinators.combine(seeds, edits, codecs(), Arbitraries.integers().between(0, 3))
        .as((seed, e, codec, headerEdit) -> {
          ByteBuffer b = ByteBuffer.wrap(seed);
          byte[] header = Arrays.copyOf(seed, RecordBatch.HEADER_SIZE);
          byte[] records = RecordBatch.compression(b) == CompressionType.NONE
              ? Arrays.copyOfRange(seed, RecordBatch.HEADER_SIZE, seed.length)
              : inflate(seed);
          records = mutate(records, e);
          if (headerEdit == 1) { // a wrong record count, kept consistent with lastOffsetDelta
            int count = Math.floorMod(e[0], 40);
            ByteBuffer.wrap(header).putInt(RecordBatch.RECORD_COUNT_OFFSET, count)
                .putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, count - 1);
          }
          byte[] sealed = seal(header, records, codec);
          if (headerEdit == 2) { // a hostile uncompressedLength, CRC still right
            if (codec != CompressionType.NONE) {
              ByteBuffer.wrap(sealed).putInt(RecordBatch.HEADER_SIZE, e[0]);
              reseal(sealed);
            }
          }
          return sealed;
        });
  }

  private static boolean sealable(byte[] entry) {
    try {
      RecordBatch.validate(ByteBuffer.wrap(entry), RECORD_BYTES_MAX);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Flips, inserts, deletes or overwrites bytes as the edit codes say. */
  private static byte[] mutate(byte[] in, int[] edits) {
    List<Byte> out = new ArrayList<>();
    for (byte x : in) {
      out.add(x);
    }
    for (int edit : edits) {
      int pos = out.isEmpty() ? 0 : Math.floorMod(edit >>> 3, out.size());
      byte value = (byte) (edit >>> 11);
      switch (Math.floorMod(edit, 5)) {
        case 0 -> { if (!out.isEmpty()) out.set(pos, (byte) (out.get(pos) ^ (1 << ((edit >>> 19) & 7)))); }
        case 1 -> out.add(pos, value);
        case 2 -> { if (!out.isEmpty()) out.remove(pos); }
        case 3 -> { if (!out.isEmpty()) out.set(pos, value); }
        default -> { // a varint that claims a huge or negative length
          if (!out.isEmpty()) {
            out.set(pos, (byte) 0xff);
            out.add(pos, (byte) 0xff);
          }
        }
      }
    }
    byte[] r = new byte[out.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = out.get(i);
    }
    return r;
  }

  /** A batch header for {@code count} records, fields as a producer would set them. */
  static byte[] header(int count) {
    ByteBuffer h = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
    h.putLong(0).putInt(0).put(RecordBatch.MAGIC).putInt(0).putShort((short) 0).putInt(count - 1)
        .putLong(1_000L).putLong(1_000L).putLong(-1).putShort((short) -1).putInt(-1).putInt(count);
    return h.array();
  }

  /** {@code header} + {@code records} (compressed with {@code codec}), framing and CRC set. */
  static byte[] seal(byte[] header, byte[] records, CompressionType codec) {
    byte[] body = records;
    if (codec != CompressionType.NONE) {
      byte[] packed = records.length == 0 ? new byte[0] : BatchCompression.compress(codec, records, 0, records.length);
      body = ByteBuffer.allocate(4 + packed.length).putInt(records.length).put(packed).array();
    }
    byte[] out = new byte[RecordBatch.HEADER_SIZE + body.length];
    System.arraycopy(header, 0, out, 0, RecordBatch.HEADER_SIZE);
    System.arraycopy(body, 0, out, RecordBatch.HEADER_SIZE, body.length);
    ByteBuffer.wrap(out).putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) codec.id());
    reseal(out);
    return out;
  }

  /** Sets batchLength and the CRC of {@code batch} to match its bytes. */
  static void reseal(byte[] batch) {
    ByteBuffer b = ByteBuffer.wrap(batch);
    b.putInt(RecordBatch.LENGTH_OFFSET, batch.length - RecordBatch.LOG_OVERHEAD);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(batch, RecordBatch.ATTRIBUTES_OFFSET, batch.length - RecordBatch.ATTRIBUTES_OFFSET);
    b.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
  }

  private static byte[] inflate(byte[] batch) {
    ByteBuffer b = ByteBuffer.wrap(batch);
    int length = b.getInt(RecordBatch.HEADER_SIZE);
    int start = RecordBatch.HEADER_SIZE + RecordBatch.UNCOMPRESSED_LENGTH_SIZE;
    return BatchCompression.decompress(RecordBatch.compression(b), batch, start, batch.length - start, length);
  }

  static List<byte[]> corpus() {
    if (Boolean.getBoolean("sluice.fuzz.corpus.rewrite")) {
      writeSeeds();
    }
    try (Stream<Path> files = Files.list(CORPUS)) {
      List<byte[]> out = new ArrayList<>();
      for (Path p : files.filter(p -> p.toString().endsWith(".bin")).sorted().toList()) {
        out.add(Files.readAllBytes(p));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The valid seeds (-Dsluice.fuzz.corpus.rewrite=true): one batch per codec, with keys, nulls, headers. */
  private static void writeSeeds() {
    try {
      Files.createDirectories(CORPUS);
      for (CompressionType codec : CompressionType.values()) {
        RecordBatch.Builder b = RecordBatch.builder().compression(codec);
        for (int i = 0; i < 12; i++) {
          byte[] value = ("value-" + i + "-" + "x".repeat(40)).getBytes(StandardCharsets.UTF_8);
          b.add(1_000L + i, i % 3 == 0 ? null : ("k" + i).getBytes(StandardCharsets.UTF_8), i == 5 ? null : value,
              i % 2 == 0 ? List.of(new Header("h", new byte[] {1, 2}), new Header("n", null)) : List.of());
        }
        Files.write(CORPUS.resolve("seed-" + codec.name().toLowerCase() + ".bin"), b.build());
      }
      Files.write(CORPUS.resolve("seed-single.bin"), RecordBatch.builder()
          .add(7L, null, new byte[0], List.of()).build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte x : bytes) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }
}
