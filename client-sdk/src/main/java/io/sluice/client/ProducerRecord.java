package io.sluice.client;

import io.sluice.protocol.Header;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A record to send. Immutable except for the byte arrays, which the producer does not copy: do
 * not modify them after {@link Producer#send}. Checked by {@code send} (topic name, partition
 * range), not here.
 *
 * @param topic       topic name
 * @param partition   partition index, or null to let the partitioner choose
 * @param key         key bytes, or null (a null key gets the sticky partition)
 * @param value       value bytes, or null
 * @param timestampMs create time, epoch milliseconds, or null for the time of {@code send}
 * @param headers     headers in order; null is read as none
 */
public record ProducerRecord(String topic, Integer partition, byte[] key, byte[] value,
    Long timestampMs, List<Header> headers) {

  /**
   * Copies {@code headers} (null means none); {@code topic} must not be null.
   *
   * @param topic       topic name
   * @param partition   partition index, or null to let the partitioner choose
   * @param key         key bytes, or null (a null key gets the sticky partition)
   * @param value       value bytes, or null
   * @param timestampMs create time, epoch milliseconds, or null for the time of {@code send}
   * @param headers     headers in order; null is read as none
   */
  public ProducerRecord {
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  /**
   * A record with no key, no headers, partitioned by the partitioner, stamped at send time.
   *
   * @param topic topic name
   * @param value the value, or null
   * @return a record with no key, no headers, partitioned by the partitioner, stamped at send time
   */
  public static ProducerRecord of(String topic, byte[] value) {
    return new ProducerRecord(topic, null, null, value, null, List.of());
  }

  /**
   * A keyed record, partitioned by murmur2 of the key (with the default partitioner).
   *
   * @param topic topic name
   * @param key the key (partitioning, compaction of nothing yet), or null
   * @param value the value, or null
   * @return a keyed record, partitioned by murmur2 of the key (with the default partitioner)
   */
  public static ProducerRecord of(String topic, byte[] key, byte[] value) {
    return new ProducerRecord(topic, null, key, value, null, List.of());
  }

  /**
   * Starts a builder for a record of {@code topic}.
   *
   * @param topic the new value (see above)
   * @return this builder
   */
  public static Builder builder(String topic) {
    return new Builder(topic);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProducerRecord r
        && Objects.equals(topic, r.topic)
        && Objects.equals(partition, r.partition)
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && Objects.equals(timestampMs, r.timestampMs)
        && headers.equals(r.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, Arrays.hashCode(key), Arrays.hashCode(value), timestampMs, headers);
  }

  @Override
  public String toString() {
    return "ProducerRecord{topic=" + topic + ", partition=" + partition
        + ", key=" + (key == null ? "null" : key.length + "B")
        + ", value=" + (value == null ? "null" : value.length + "B")
        + ", timestampMs=" + timestampMs + ", headers=" + headers.size() + "}";
  }

  /** Builds a {@link ProducerRecord}. Not thread-safe. Every field is optional except the topic. */
  public static final class Builder {
    private final String topic;
    private Integer partition;
    private byte[] key;
    private byte[] value;
    private Long timestampMs;
    private final List<Header> headers = new ArrayList<>();

    private Builder(String topic) {
      this.topic = topic;
    }

    /**
     * Sends to this partition instead of the partitioner's choice. Default: partitioner.
     *
     * @param partition the new value (see above)
     * @return this builder
     */
    public Builder partition(int partition) {
      this.partition = partition;
      return this;
    }

    /**
     * Key bytes. Default null.
     *
     * @param key the new value (see above)
     * @return this builder
     */
    public Builder key(byte[] key) {
      this.key = key;
      return this;
    }

    /**
     * Value bytes. Default null.
     *
     * @param value the new value (see above)
     * @return this builder
     */
    public Builder value(byte[] value) {
      this.value = value;
      return this;
    }

    /**
     * Create time in epoch milliseconds. Default: the time of {@code send}.
     *
     * @param timestampMs the new value (see above)
     * @return this builder
     */
    public Builder timestampMs(long timestampMs) {
      this.timestampMs = timestampMs;
      return this;
    }

    /**
     * Appends a header; {@code value} may be null.
     *
     * @param key the new value (see above)
     * @param value the new value (see above)
     * @return this builder
     */
    public Builder header(String key, byte[] value) {
      headers.add(new Header(key, value));
      return this;
    }

    /** @return the record */
    public ProducerRecord build() {
      return new ProducerRecord(topic, partition, key, value, timestampMs, headers);
    }
  }
}
