package io.sluice.statemachine;

import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.TopicState;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-topic configuration keys, once: name, default, unit, meaning (Kafka's names and defaults).
 * A topic stores only its overrides; {@link #effective} fills in the defaults.
 * Immutable; thread-safe.
 */
public final class TopicConfigs {

  /** One documented topic key; every value is a whole number of {@code unit}, or -1 for "none". */
  public record Key(String name, long defaultValue, String unit, String doc) {}

  public static final Key RETENTION_MS = new Key("retention.ms", 604_800_000L, "ms",
      "Delete batches whose newest record is older than this (by record timestamp); -1 keeps them forever.");
  public static final Key RETENTION_BYTES = new Key("retention.bytes", -1L, "bytes",
      "Delete a partition's oldest batches while it holds more than this; -1 means no limit.");

  private static final Map<String, Key> KEYS = new LinkedHashMap<>();

  static {
    for (Key k : List.of(RETENTION_MS, RETENTION_BYTES)) {
      KEYS.put(k.name(), k);
    }
  }

  private TopicConfigs() {}

  public static Collection<Key> keys() {
    return KEYS.values();
  }

  /** Checks keys and values to set and keys to reset; throws saying what is wrong. */
  public static void validate(Map<String, String> set, Collection<String> reset) throws CommandRejectedException {
    for (Map.Entry<String, String> e : set.entrySet()) {
      Key k = key(e.getKey());
      long v;
      try {
        v = Long.parseLong(e.getValue().trim());
      } catch (NumberFormatException x) {
        throw new CommandRejectedException(ErrorReason.INVALID_CONFIG, k.name() + " must be a whole number of "
            + k.unit() + " or -1, got '" + e.getValue() + "'");
      }
      if (v < -1) {
        throw new CommandRejectedException(ErrorReason.INVALID_CONFIG, k.name() + " must be -1 or more, got " + v);
      }
    }
    for (String name : reset) {
      key(name);
    }
  }

  private static Key key(String name) throws CommandRejectedException {
    Key k = KEYS.get(name);
    if (k == null) {
      throw new CommandRejectedException(ErrorReason.INVALID_CONFIG, "unknown topic configuration '" + name
          + "'; known: " + KEYS.keySet());
    }
    return k;
  }

  /** Every key with its value for this topic: the override, or the default. */
  public static Map<String, String> effective(TopicState topic) {
    Map<String, String> out = new TreeMap<>();
    for (Key k : KEYS.values()) {
      out.put(k.name(), topic.getConfigsMap().getOrDefault(k.name(), Long.toString(k.defaultValue())));
    }
    return out;
  }

  public static long get(TopicState topic, Key key) {
    String v = topic.getConfigsMap().get(key.name());
    return v == null ? key.defaultValue() : Long.parseLong(v.trim());
  }

  /** The README's topic configuration table. */
  public static String markdownTable() {
    StringBuilder sb = new StringBuilder("| key | default | unit | meaning |\n|---|---|---|---|\n");
    for (Key k : KEYS.values()) {
      sb.append("| `").append(k.name()).append("` | `").append(k.defaultValue()).append("` | ")
          .append(k.unit()).append(" | ").append(k.doc()).append(" |\n");
    }
    return sb.toString();
  }
}
