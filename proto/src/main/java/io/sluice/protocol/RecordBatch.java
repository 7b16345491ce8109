package io.sluice.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The record batch: the unit a producer encodes once and the log replicates, stores and serves
 * without re-encoding. Modelled on Kafka's v2 batch. All integers are big-endian.
 *
 * <pre>
 * offset size field
 *   0     8   baseOffset       assigned by the log when the batch is appended; NOT covered by the CRC,
 *                              so the log can set it without recomputing the checksum
 *   8     4   batchLength      number of bytes after this field (total size = 12 + batchLength)
 *  12     1   magic            layout version, {@value #MAGIC}
 *  13     4   crc              CRC-32C of every byte from offset 17 to the end
 *  17     2   attributes       bits 0-2: compression codec ({@link CompressionType}: 0 none, 3 lz4,
 *                              4 zstd; 1, 2 and 5-7 are refused); other bits 0
 *  19     4   lastOffsetDelta  recordCount - 1
 *  23     8   baseTimestamp    create time of the first record, epoch ms
 *  31     8   maxTimestamp     largest record create time, epoch ms
 *  39     8   producerId       -1 when not an idempotent producer (reserved for it)
 *  47     2   producerEpoch    -1 when none
 *  49     4   baseSequence     -1 when none
 *  53     4   recordCount      number of records, at least 1
 *  57     …   records          codec none: the records, as below
 *                              otherwise: uncompressedLength (4 bytes, the size of the records once
 *                              decompressed), then the records compressed with the codec (lz4: one
 *                              LZ4 block; zstd: one Zstandard frame)
 *
 * record (v = zig-zag varint, vl = zig-zag varlong):
 *   length v (bytes of the rest of this record), attributes int8 (0),
 *   timestampDelta vl (from baseTimestamp), offsetDelta v (index in the batch),
 *   keyLength v (-1 = null), key, valueLength v (-1 = null), value,
 *   headerCount v, then per header: keyLength v, key (UTF-8), valueLength v (-1 = null), value
 * </pre>
 *
 * <p>The CRC covers the bytes as stored (compressed), so a replica or consumer checks it
 * without decompressing. Decompression is bounded: a batch stating an uncompressedLength over
 * the reader's limit ({@link #UNCOMPRESSED_BYTES_MAX} by default; the leader also caps it at
 * recordCount x its record size limit), or whose data does not inflate to exactly that length,
 * is corrupt ({@link CorruptBatchException}), before anything of that size is allocated.
 *
 * <p>Static methods only; thread-safe.
 */
public final class RecordBatch {
  public static final byte MAGIC = 1;
  public static final int BASE_OFFSET_OFFSET = 0;
  public static final int LENGTH_OFFSET = 8;
  public static final int MAGIC_OFFSET = 12;
  public static final int CRC_OFFSET = 13;
  public static final int ATTRIBUTES_OFFSET = 17;
  public static final int LAST_OFFSET_DELTA_OFFSET = 19;
  public static final int BASE_TIMESTAMP_OFFSET = 23;
  public static final int MAX_TIMESTAMP_OFFSET = 31;
  public static final int PRODUCER_ID_OFFSET = 39;
  public static final int PRODUCER_EPOCH_OFFSET = 47;
  public static final int BASE_SEQUENCE_OFFSET = 49;
  public static final int RECORD_COUNT_OFFSET = 53;
  public static final int HEADER_SIZE = 57;
  /** Bytes before the batchLength field counts from. */
  public static final int LOG_OVERHEAD = 12;

  private static final int COMPRESSION_MASK = 0x07;
  /** Size of the uncompressedLength field that starts a compressed records section. */
  public static final int UNCOMPRESSED_LENGTH_SIZE = 4;
  /**
   * Most bytes the records of one batch may inflate to when a reader states no limit of its own:
   * 64 MiB. A batch stating more is corrupt (the producer's batchSizeBytesMax and the cluster's
   * batch.bytes.max keep real batches far below).
   */
  public static final int UNCOMPRESSED_BYTES_MAX = 64 * 1024 * 1024;

  private RecordBatch() {}

  /** Facts read from a validated batch's header. */
  public record Info(int recordCount, long baseTimestampMs, long maxTimestampMs, int sizeBytes) {}

  /**
   * Checks a batch before it enters the log: layout, CRC, record structure and sizes.
   * Walks the records without copying them.
   *
   * @param batch          the batch bytes (position to limit); not modified
   * @param recordBytesMax largest allowed encoded record, in bytes
   * @throws CorruptBatchException   when the layout or the CRC is wrong
   * @throws RecordTooLargeException when a record is over {@code recordBytesMax}
   */
  public static Info validate(ByteBuffer batch, int recordBytesMax) {
    ByteBuffer b = batch.slice().order(ByteOrder.BIG_ENDIAN);
    int size = b.remaining();
    if (size < HEADER_SIZE) {
      throw new CorruptBatchException("batch of " + size + " bytes is shorter than the "
          + HEADER_SIZE + "-byte header");
    }
    int batchLength = b.getInt(LENGTH_OFFSET);
    if (batchLength != size - LOG_OVERHEAD) {
      throw new CorruptBatchException("batchLength " + batchLength + " does not match the "
          + (size - LOG_OVERHEAD) + " bytes that follow it");
    }
    byte magic = b.get(MAGIC_OFFSET);
    if (magic != MAGIC) {
      throw new CorruptBatchException("unsupported batch magic " + magic + " (expected " + MAGIC + ")");
    }
    int crcStored = b.getInt(CRC_OFFSET);
    int crcComputed = crc(b);
    if (crcStored != crcComputed) {
      throw new CorruptBatchException(String.format(
          "CRC mismatch: stored 0x%08x, computed 0x%08x", crcStored, crcComputed));
    }
    int recordCount = b.getInt(RECORD_COUNT_OFFSET);
    if (recordCount < 1) {
      throw new CorruptBatchException("recordCount " + recordCount + " must be at least 1");
    }
    int lastOffsetDelta = b.getInt(LAST_OFFSET_DELTA_OFFSET);
    if (lastOffsetDelta != recordCount - 1) {
      throw new CorruptBatchException("lastOffsetDelta " + lastOffsetDelta
          + " does not match recordCount " + recordCount);
    }
    // Each record is at most recordBytesMax, so its records can inflate to no more than this.
    int inflateMax = (int) Math.min(UNCOMPRESSED_BYTES_MAX, (long) recordCount * recordBytesMax);
    ByteBuffer records = records(b, inflateMax);
    for (int i = 0; i < recordCount; i++) {
      validateRecord(records, i, recordBytesMax);
    }
    if (records.hasRemaining()) {
      throw new CorruptBatchException(records.remaining() + " trailing bytes after " + recordCount + " records");
    }
    return new Info(recordCount, b.getLong(BASE_TIMESTAMP_OFFSET), b.getLong(MAX_TIMESTAMP_OFFSET), size);
  }

  /** The codec of a batch (from its attributes). @throws CorruptBatchException for an unsupported one */
  public static CompressionType compression(ByteBuffer batch) {
    int codec = batch.getShort(batch.position() + ATTRIBUTES_OFFSET) & COMPRESSION_MASK;
    CompressionType type = CompressionType.byId(codec);
    if (type == null) {
      throw new CorruptBatchException("unsupported compression codec " + codec);
    }
    return type;
  }

  /**
   * The records section of {@code b} (a big-endian slice whose position 0 is the batch start),
   * decompressed if need be, positioned at its first record.
   *
   * @param inflateMax most bytes a compressed section may state it inflates to
   */
  private static ByteBuffer records(ByteBuffer b, int inflateMax) {
    CompressionType type = compression(b);
    if (type == CompressionType.NONE) {
      ByteBuffer records = b.duplicate().order(ByteOrder.BIG_ENDIAN);
      records.position(HEADER_SIZE);
      return records;
    }
    int limit = b.limit();
    if (limit < HEADER_SIZE + UNCOMPRESSED_LENGTH_SIZE) {
      throw new CorruptBatchException(type + " batch of " + limit + " bytes has no uncompressedLength");
    }
    int uncompressed = b.getInt(HEADER_SIZE);
    if (uncompressed < 1 || uncompressed > inflateMax) {
      throw new CorruptBatchException(type + " records state they inflate to " + uncompressed
          + " bytes, outside [1, " + inflateMax + "]");
    }
    int start = HEADER_SIZE + UNCOMPRESSED_LENGTH_SIZE;
    byte[] compressed = new byte[limit - start];
    b.get(start, compressed);
    return ByteBuffer.wrap(BatchCompression.decompress(type, compressed, 0, compressed.length, uncompressed));
  }

  private static void validateRecord(ByteBuffer b, int i, int recordBytesMax) {
    if (!b.hasRemaining()) {
      throw new CorruptBatchException("record " + i + " is missing: the batch ends early");
    }
    int start = b.position();
    int length;
    try {
      length = Varints.readVarint(b);
    } catch (CorruptBatchException e) {
      throw new CorruptBatchException("record " + i + ": " + e.getMessage());
    }
    {
      if (length <= 0 || length > b.remaining()) {
        throw new CorruptBatchException("record " + i + " has length " + length + " with "
            + b.remaining() + " bytes left in the batch");
      }
      int recordEnd = b.position() + length;
      int encodedSize = recordEnd - start;
      if (encodedSize > recordBytesMax) {
        throw new RecordTooLargeException("record " + i + " is " + encodedSize
            + " bytes, over the maximum of " + recordBytesMax);
      }
      b.get(); // attributes
      int offsetDelta;
      try {
        Varints.readVarlong(b); // timestamp delta
        offsetDelta = Varints.readVarint(b);
      } catch (CorruptBatchException e) {
        throw new CorruptBatchException("record " + i + ": " + e.getMessage());
      }
      if (offsetDelta != i) {
        throw new CorruptBatchException("record " + i + " has offsetDelta " + offsetDelta);
      }
      if (b.position() > recordEnd) {
        throw new CorruptBatchException("record " + i + " header runs past its length");
      }
      // Walk key, value and headers exactly as read() decodes them: a batch the log accepts
      // must be one every consumer can decode (else it is a poison pill at that offset).
      try {
        skipBytes(b, recordEnd, i, "key");
        skipBytes(b, recordEnd, i, "value");
        int headerCount = Varints.readVarint(b);
        if (headerCount < 0 || headerCount > recordEnd - b.position()) {
          throw new CorruptBatchException("record " + i + " header count " + headerCount + " is out of bounds");
        }
        for (int h = 0; h < headerCount; h++) {
          if (skipBytes(b, recordEnd, i, "header key") < 0) {
            throw new CorruptBatchException("record " + i + " has a null header key");
          }
          skipBytes(b, recordEnd, i, "header value");
        }
      } catch (CorruptBatchException e) {
        throw e.getMessage().startsWith("record ") ? e : new CorruptBatchException("record " + i + ": " + e.getMessage());
      }
      if (b.position() != recordEnd) {
        throw new CorruptBatchException("record " + i + " does not end at its stated length ("
            + (recordEnd - b.position()) + " bytes left over)");
      }
    }
  }

  /** Skips a length-prefixed field (-1 = null) that must end within its record; returns its length. */
  private static int skipBytes(ByteBuffer b, int recordEnd, int i, String field) {
    int length = Varints.readVarint(b);
    if (length < -1 || length > recordEnd - b.position()) {
      throw new CorruptBatchException("record " + i + " " + field + " of " + length + " bytes runs past its record");
    }
    if (length > 0) {
      b.position(b.position() + length);
    }
    return length;
  }

  /** Checks only the CRC and length framing, as a consumer does on every fetched batch. */
  public static void verifyCrc(ByteBuffer batch) {
    ByteBuffer b = batch.slice().order(ByteOrder.BIG_ENDIAN);
    if (b.remaining() < HEADER_SIZE || b.getInt(LENGTH_OFFSET) != b.remaining() - LOG_OVERHEAD) {
      throw new CorruptBatchException("batch framing is wrong (" + b.remaining() + " bytes)");
    }
    int stored = b.getInt(CRC_OFFSET);
    int computed = crc(b);
    if (stored != computed) {
      throw new CorruptBatchException(String.format(
          "CRC mismatch: stored 0x%08x, computed 0x%08x", stored, computed));
    }
  }

  private static int crc(ByteBuffer b) {
    CRC32C crc = new CRC32C();
    ByteBuffer covered = b.duplicate();
    covered.position(ATTRIBUTES_OFFSET).limit(b.capacity());
    crc.update(covered);
    return (int) crc.getValue();
  }

  /** Returns a copy of {@code batch} with its base offset set. Copies once; re-encodes nothing. */
  public static byte[] withBaseOffset(byte[] batch, long baseOffset) {
    byte[] copy = batch.clone();
    ByteBuffer.wrap(copy).putLong(BASE_OFFSET_OFFSET, baseOffset);
    return copy;
  }

  /**
   * Returns a copy of {@code batch} with its base offset set: the one copy that storing it needs
   * (the ByteString's bytes are never written). Re-encodes nothing.
   */
  public static byte[] withBaseOffset(com.google.protobuf.ByteString batch, long baseOffset) {
    byte[] copy = batch.toByteArray();
    ByteBuffer.wrap(copy).putLong(BASE_OFFSET_OFFSET, baseOffset);
    return copy;
  }

  public static long baseOffset(ByteBuffer batch) {
    return batch.getLong(batch.position() + BASE_OFFSET_OFFSET);
  }

  public static int recordCount(ByteBuffer batch) {
    return batch.getInt(batch.position() + RECORD_COUNT_OFFSET);
  }

  /** Offset of the batch's last record: baseOffset + lastOffsetDelta. */
  public static long lastOffset(ByteBuffer batch) {
    return baseOffset(batch) + batch.getInt(batch.position() + LAST_OFFSET_DELTA_OFFSET);
  }

  /**
   * Decodes every record of a batch, with absolute offsets and timestamps, decompressing it if
   * need be (at most {@link #UNCOMPRESSED_BYTES_MAX} bytes). Verifies the CRC first.
   *
   * @throws CorruptBatchException when the CRC or the layout is wrong, or the records do not
   *                               decompress within the limit
   */
  public static List<Record> read(ByteBuffer batch) {
    return read(batch, UNCOMPRESSED_BYTES_MAX);
  }

  /**
   * {@link #read(ByteBuffer)} with a limit on what the records may inflate to.
   *
   * @param inflateMax most bytes a compressed records section may decompress to
   */
  public static List<Record> read(ByteBuffer batch, int inflateMax) {
    verifyCrc(batch);
    ByteBuffer whole = batch.slice().order(ByteOrder.BIG_ENDIAN);
    long baseOffset = whole.getLong(BASE_OFFSET_OFFSET);
    long baseTimestamp = whole.getLong(BASE_TIMESTAMP_OFFSET);
    int count = whole.getInt(RECORD_COUNT_OFFSET);
    ByteBuffer b = records(whole, inflateMax);
    if (count < 1 || count > b.remaining()) {
      throw new CorruptBatchException("recordCount " + count + " is impossible for " + b.remaining()
          + " bytes of records");
    }
    List<Record> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int length = Varints.readVarint(b);
      if (length <= 0 || length > b.remaining()) {
        throw new CorruptBatchException("record " + i + " length " + length + " is out of bounds");
      }
      int end = b.position() + length;
      b.get();
      long timestampDelta = Varints.readVarlong(b);
      int offsetDelta = Varints.readVarint(b);
      byte[] key = readBytes(b, end);
      byte[] value = readBytes(b, end);
      int headerCount = Varints.readVarint(b);
      if (headerCount < 0 || headerCount > end - b.position()) {
        throw new CorruptBatchException("record " + i + " header count " + headerCount + " is out of bounds");
      }
      List<Header> headers = new ArrayList<>(headerCount);
      for (int h = 0; h < headerCount; h++) {
        byte[] hk = readBytes(b, end);
        if (hk == null) {
          throw new CorruptBatchException("record " + i + " has a null header key");
        }
        headers.add(new Header(new String(hk, StandardCharsets.UTF_8), readBytes(b, end)));
      }
      if (b.position() != end) {
        throw new CorruptBatchException("record " + i + " does not end at its stated length");
      }
      records.add(new Record(baseOffset + offsetDelta, baseTimestamp + timestampDelta, key, value, headers));
    }
    return records;
  }

  private static byte[] readBytes(ByteBuffer b, int recordEnd) {
    int length = Varints.readVarint(b);
    if (length < 0) {
      return null;
    }
    if (length > recordEnd - b.position()) {
      throw new CorruptBatchException("field of " + length + " bytes runs past its record");
    }
    byte[] out = new byte[length];
    b.get(out);
    return out;
  }

  /** Starts a batch. Use one builder per batch; not thread-safe. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Accumulates records and encodes the batch once in {@link #build()}.
   * {@link #estimatedSizeBytes()} is exact for the records added so far, so a producer can
   * close a batch before it would exceed a byte limit.
   */
  public static final class Builder {
    private final List<Record> records = new ArrayList<>();
    private int recordBytes;
    private long baseTimestamp = Long.MIN_VALUE;
    private long producerId = -1;
    private short producerEpoch = -1;
    private int baseSequence = -1;
    private CompressionType compression = CompressionType.NONE;

    private Builder() {}

    /**
     * Compresses the records section with {@code compression} in {@link #build()} (default NONE).
     * When compressing would not make the batch smaller it is stored uncompressed.
     */
    public Builder compression(CompressionType compression) {
      this.compression = java.util.Objects.requireNonNull(compression, "compression");
      return this;
    }

    /** Sets the idempotent-producer fields (reserved; defaults -1). */
    public Builder producer(long producerId, short producerEpoch, int baseSequence) {
      this.producerId = producerId;
      this.producerEpoch = producerEpoch;
      this.baseSequence = baseSequence;
      return this;
    }

    /** Encoded size of one record if it were appended next. */
    public int sizeOfNext(long timestampMs, byte[] key, byte[] value, List<Header> headers) {
      long base = baseTimestamp == Long.MIN_VALUE ? timestampMs : baseTimestamp;
      int body = bodySize(timestampMs - base, records.size(), key, value, headers);
      return Varints.sizeOfVarint(body) + body;
    }

    public Builder add(long timestampMs, byte[] key, byte[] value, List<Header> headers) {
      recordBytes += sizeOfNext(timestampMs, key, value, headers);
      if (baseTimestamp == Long.MIN_VALUE) {
        baseTimestamp = timestampMs;
      }
      records.add(new Record(-1, timestampMs, key, value, headers));
      return this;
    }

    public int recordCount() {
      return records.size();
    }

    /**
     * Size of the batch uncompressed: exact without compression, and an upper bound with it
     * (build() stores a batch uncompressed when compressing would not shrink it).
     */
    public int estimatedSizeBytes() {
      return HEADER_SIZE + recordBytes;
    }

    public byte[] build() {
      if (records.isEmpty()) {
        throw new IllegalStateException("a batch needs at least one record");
      }
      byte[] out = new byte[estimatedSizeBytes()];
      ByteBuffer b = ByteBuffer.wrap(out);
      long maxTimestamp = Long.MIN_VALUE;
      for (Record r : records) {
        maxTimestamp = Math.max(maxTimestamp, r.timestampMs());
      }
      b.putLong(0L)
          .putInt(out.length - LOG_OVERHEAD)
          .put(MAGIC)
          .putInt(0) // crc, filled below
          .putShort((short) 0)
          .putInt(records.size() - 1)
          .putLong(baseTimestamp)
          .putLong(maxTimestamp)
          .putLong(producerId)
          .putShort(producerEpoch)
          .putInt(baseSequence)
          .putInt(records.size());
      for (int i = 0; i < records.size(); i++) {
        Record r = records.get(i);
        int body = bodySize(r.timestampMs() - baseTimestamp, i, r.key(), r.value(), r.headers());
        Varints.writeVarint(body, b);
        b.put((byte) 0);
        Varints.writeVarlong(r.timestampMs() - baseTimestamp, b);
        Varints.writeVarint(i, b);
        writeBytes(r.key(), b);
        writeBytes(r.value(), b);
        Varints.writeVarint(r.headers().size(), b);
        for (Header h : r.headers()) {
          writeBytes(h.key().getBytes(StandardCharsets.UTF_8), b);
          writeBytes(h.value(), b);
        }
      }
      if (b.hasRemaining()) {
        throw new IllegalStateException("size estimate was off by " + b.remaining() + " bytes");
      }
      if (compression != CompressionType.NONE) {
        out = compressed(out);
        b = ByteBuffer.wrap(out);
      }
      b.putInt(CRC_OFFSET, crc(b));
      return out;
    }

    /** {@code raw} (an encoded batch, CRC not yet set) with its records compressed, if that is smaller. */
    private byte[] compressed(byte[] raw) {
      int recordsLength = raw.length - HEADER_SIZE;
      byte[] packed = BatchCompression.compress(compression, raw, HEADER_SIZE, recordsLength);
      int size = HEADER_SIZE + UNCOMPRESSED_LENGTH_SIZE + packed.length;
      if (size >= raw.length) {
        return raw;
      }
      byte[] out = new byte[size];
      System.arraycopy(raw, 0, out, 0, HEADER_SIZE);
      ByteBuffer b = ByteBuffer.wrap(out);
      b.putInt(LENGTH_OFFSET, size - LOG_OVERHEAD);
      b.putShort(ATTRIBUTES_OFFSET, (short) compression.id());
      b.putInt(HEADER_SIZE, recordsLength);
      System.arraycopy(packed, 0, out, HEADER_SIZE + UNCOMPRESSED_LENGTH_SIZE, packed.length);
      return out;
    }

    private static int bodySize(long timestampDelta, int offsetDelta, byte[] key, byte[] value, List<Header> headers) {
      int size = 1 + Varints.sizeOfVarlong(timestampDelta) + Varints.sizeOfVarint(offsetDelta)
          + sizeOfBytes(key) + sizeOfBytes(value) + Varints.sizeOfVarint(headers.size());
      for (Header h : headers) {
        size += sizeOfBytes(h.key().getBytes(StandardCharsets.UTF_8)) + sizeOfBytes(h.value());
      }
      return size;
    }

    private static int sizeOfBytes(byte[] bytes) {
      return bytes == null ? Varints.sizeOfVarint(-1) : Varints.sizeOfVarint(bytes.length) + bytes.length;
    }

    private static void writeBytes(byte[] bytes, ByteBuffer b) {
      if (bytes == null) {
        Varints.writeVarint(-1, b);
      } else {
        Varints.writeVarint(bytes.length, b);
        b.put(bytes);
      }
    }
  }
}
