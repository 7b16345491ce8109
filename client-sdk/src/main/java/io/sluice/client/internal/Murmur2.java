package io.sluice.client.internal;

/**
 * Kafka's 32-bit murmur2 hash (org.apache.kafka.common.utils.Utils#murmur2, seed 0x9747b28c),
 * so that keyed records land on the same partition as with a Kafka producer.
 * Static; thread-safe.
 */
public final class Murmur2 {
  private static final int SEED = 0x9747b28c;
  private static final int M = 0x5bd1e995;
  private static final int R = 24;

  private Murmur2() {}

  /** The murmur2 hash of {@code data}. */
  public static int hash(byte[] data) {
    int length = data.length;
    int h = SEED ^ length;
    int length4 = length / 4;
    for (int i = 0; i < length4; i++) {
      int i4 = i * 4;
      int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16)
          + ((data[i4 + 3] & 0xff) << 24);
      k *= M;
      k ^= k >>> R;
      k *= M;
      h *= M;
      h ^= k;
    }
    int tail = length & ~3;
    int remaining = length % 4;
    // Kafka's switch falls through from case 3 to case 1; the same steps, spelled out.
    if (remaining >= 3) {
      h ^= (data[tail + 2] & 0xff) << 16;
    }
    if (remaining >= 2) {
      h ^= (data[tail + 1] & 0xff) << 8;
    }
    if (remaining >= 1) {
      h ^= data[tail] & 0xff;
      h *= M;
    }
    h ^= h >>> 13;
    h *= M;
    h ^= h >>> 15;
    return h;
  }

  /** Kafka's toPositive: clears the sign bit (not Math.abs, which overflows on MIN_VALUE). */
  public static int toPositive(int n) {
    return n & 0x7fffffff;
  }
}
