package io.sluice.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One record as read from a batch: its offset, timestamp, key, value and headers.
 * Immutable; the byte arrays are owned by the record and must not be modified by callers.
 *
 * @param offset      offset in the partition, or -1 before the log assigned one
 * @param timestampMs create time set by the producer, epoch milliseconds
 * @param key         key bytes, or null
 * @param value       value bytes, or null
 * @param headers     headers in the order they were added
 */
public record Record(long offset, long timestampMs, byte[] key, byte[] value, List<Header> headers) {

  public Record {
    headers = List.copyOf(headers);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Record r
        && offset == r.offset
        && timestampMs == r.timestampMs
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && headers.equals(r.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(offset, timestampMs, Arrays.hashCode(key), Arrays.hashCode(value), headers);
  }

  @Override
  public String toString() {
    return "Record{offset=" + offset + ", timestampMs=" + timestampMs
        + ", key=" + (key == null ? "null" : key.length + "B")
        + ", value=" + (value == null ? "null" : value.length + "B")
        + ", headers=" + headers.size() + "}";
  }
}
