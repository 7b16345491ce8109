package io.sluice.protocol;

import java.nio.ByteBuffer;

/**
 * Zig-zag variable-length integers, as in protobuf's sint32/sint64 and Kafka's record format.
 * Not thread-safe by nature (works on caller-owned buffers); holds no state.
 */
final class Varints {
  private Varints() {}

  static int sizeOfVarint(int value) {
    int v = (value << 1) ^ (value >> 31);
    int bytes = 1;
    while ((v & 0xffffff80) != 0) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  static int sizeOfVarlong(long value) {
    long v = (value << 1) ^ (value >> 63);
    int bytes = 1;
    while ((v & 0xffffffffffffff80L) != 0L) {
      bytes++;
      v >>>= 7;
    }
    return bytes;
  }

  static void writeVarint(int value, ByteBuffer out) {
    int v = (value << 1) ^ (value >> 31);
    while ((v & 0xffffff80) != 0) {
      out.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  static void writeVarlong(long value, ByteBuffer out) {
    long v = (value << 1) ^ (value >> 63);
    while ((v & 0xffffffffffffff80L) != 0L) {
      out.put((byte) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  /** Reads a varint; throws {@link CorruptBatchException} if it runs past the buffer or 5 bytes. */
  static int readVarint(ByteBuffer in) {
    int raw = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (!in.hasRemaining()) {
        throw new CorruptBatchException("varint runs past the end of the batch");
      }
      byte b = in.get();
      raw |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new CorruptBatchException("varint longer than 5 bytes");
  }

  /** Reads a varlong; throws {@link CorruptBatchException} if it runs past the buffer or 10 bytes. */
  static long readVarlong(ByteBuffer in) {
    long raw = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (!in.hasRemaining()) {
        throw new CorruptBatchException("varlong runs past the end of the batch");
      }
      byte b = in.get();
      raw |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return (raw >>> 1) ^ -(raw & 1);
      }
    }
    throw new CorruptBatchException("varlong longer than 10 bytes");
  }
}
