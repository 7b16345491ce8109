package io.sluice.client;

import io.sluice.protocol.Header;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A record read by a {@link Consumer}. Immutable; do not modify the byte arrays.
 *
 * @param topic       topic name
 * @param partition   partition index
 * @param offset      the record's offset in the partition
 * @param timestampMs create time set by the producer, epoch milliseconds
 * @param key         key bytes, or null
 * @param value       value bytes, or null
 * @param headers     headers in the order they were added
 */
public record ConsumerRecord(String topic, int partition, long offset, long timestampMs,
    byte[] key, byte[] value, List<Header> headers) {

  /**
   * Copies {@code headers}; {@code topic} and {@code headers} must not be null.
   *
   * @param topic       topic name
   * @param partition   partition index
   * @param offset      the record's offset in the partition
   * @param timestampMs create time set by the producer, epoch milliseconds
   * @param key         key bytes, or null
   * @param value       value bytes, or null
   * @param headers     headers in the order they were added
   */
  public ConsumerRecord {
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConsumerRecord r
        && topic.equals(r.topic)
        && partition == r.partition
        && offset == r.offset
        && timestampMs == r.timestampMs
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && headers.equals(r.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, offset, timestampMs, Arrays.hashCode(key), Arrays.hashCode(value), headers);
  }

  @Override
  public String toString() {
    return "ConsumerRecord{" + topic + "-" + partition + "@" + offset + ", timestampMs=" + timestampMs
        + ", key=" + (key == null ? "null" : key.length + "B")
        + ", value=" + (value == null ? "null" : value.length + "B")
        + ", headers=" + headers.size() + "}";
  }
}
