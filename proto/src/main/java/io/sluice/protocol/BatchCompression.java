package io.sluice.protocol;

import com.github.luben.zstd.Zstd;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses and decompresses the records section of a batch. Decompression is bounded: the
 * caller states the exact size the output must have (the batch stores it, and the caller checks
 * it against its limit before calling), so a hostile batch cannot make it allocate more.
 * Static methods only; thread-safe (the lz4-java and zstd-jni objects used are).
 */
final class BatchCompression {
  /** Zstandard level: its default, a good balance of speed and ratio. */
  static final int ZSTD_LEVEL = 3;
  private static final LZ4Compressor LZ4_COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
  // The pure-Java safe decompressor checks every bound itself (untrusted input).
  private static final LZ4SafeDecompressor LZ4_DECOMPRESSOR = LZ4Factory.safeInstance().safeDecompressor();

  private BatchCompression() {}

  /** {@code src[offset, offset + length)} compressed with {@code type} (not NONE). */
  static byte[] compress(CompressionType type, byte[] src, int offset, int length) {
    return switch (type) {
      case LZ4 -> {
        byte[] out = new byte[LZ4_COMPRESSOR.maxCompressedLength(length)];
        int n = LZ4_COMPRESSOR.compress(src, offset, length, out, 0, out.length);
        yield java.util.Arrays.copyOf(out, n);
      }
      case ZSTD -> {
        byte[] out = new byte[(int) Zstd.compressBound(length)];
        long n = Zstd.compressByteArray(out, 0, out.length, src, offset, length, ZSTD_LEVEL);
        if (Zstd.isError(n)) {
          throw new IllegalStateException("zstd compression failed: " + Zstd.getErrorName(n));
        }
        yield java.util.Arrays.copyOf(out, (int) n);
      }
      case NONE -> throw new IllegalArgumentException("nothing to compress with NONE");
    };
  }

  /**
   * Decompresses {@code src[offset, offset + length)} into exactly {@code uncompressedLength} bytes.
   *
   * @throws CorruptBatchException when the input is malformed or does not inflate to exactly that size
   */
  static byte[] decompress(CompressionType type, byte[] src, int offset, int length, int uncompressedLength) {
    byte[] out = new byte[uncompressedLength];
    long n;
    try {
      n = switch (type) {
        case LZ4 -> LZ4_DECOMPRESSOR.decompress(src, offset, length, out, 0, uncompressedLength);
        case ZSTD -> Zstd.decompressByteArray(out, 0, uncompressedLength, src, offset, length);
        case NONE -> throw new IllegalArgumentException("nothing to decompress with NONE");
      };
    } catch (RuntimeException e) { // LZ4Exception, ZstdException: malformed or too large
      throw new CorruptBatchException(type + " records do not decompress to the " + uncompressedLength
          + " bytes the batch states: " + e.getMessage());
    }
    if (type == CompressionType.ZSTD && Zstd.isError(n)) {
      throw new CorruptBatchException("zstd records do not decompress to the " + uncompressedLength
          + " bytes the batch states: " + Zstd.getErrorName(n));
    }
    if (n != uncompressedLength) {
      throw new CorruptBatchException(type + " records decompress to " + n + " bytes, not the "
          + uncompressedLength + " the batch states");
    }
    return out;
  }
}
