package io.sluice.statemachine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * RocksDB key layout. One column family; every key starts with a one-byte kind, and numbers are
 * big-endian so that RocksDB's bytewise order is offset order within a partition.
 *
 * <pre>
 * 0x00 'A'                                  applied Raft term(8) index(8)
 * 0x01 topicName (UTF-8)                    TopicState
 * 0x02 topicId(8) partition(4)              PartitionState
 * 0x03 topicId(8) partition(4) baseOffset(8) record batch bytes (base offset set)
 * 0x04 nodeId (UTF-8)                       client address (UTF-8)
 * 0x05 producerId(8)                        ProducerState
 * 0x06 producerId(8) topicId(8) partition(4) ProducerPartitionState (recent sequence ranges)
 * 0x07 groupId (UTF-8)                      StoredGroup
 * 0x08 groupId 0x00 topic 0x00 partition(4) StoredOffset (ids and topic names never hold 0x00)
 * 0x09 sha256(secret) (32)                  StoredToken (the secret itself is never stored)
 * 0x0A principal 0x00 type 0x00 name 0x00 op AclEntry
 * </pre>
 */
final class Keys {
  static final byte META = 0x00;
  static final byte TOPIC = 0x01;
  static final byte PARTITION = 0x02;
  static final byte BATCH = 0x03;
  static final byte NODE = 0x04;
  static final byte PRODUCER = 0x05;
  static final byte PRODUCER_PARTITION = 0x06;
  static final byte GROUP = 0x07;
  static final byte OFFSET = 0x08;
  static final byte TOKEN = 0x09;
  static final byte ACL = 0x0A;
  static final byte QUOTA = 0x0B;

  static final byte[] APPLIED = {META, 'A'};

  private Keys() {}

  static byte[] topic(String name) {
    return prefixed(TOPIC, name.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] node(String nodeId) {
    return prefixed(NODE, nodeId.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] partition(long topicId, int partition) {
    return ByteBuffer.allocate(13).put(PARTITION).putLong(topicId).putInt(partition).array();
  }

  /** First key of a topic's partition states (inclusive). */
  static byte[] partitionsOf(long topicId) {
    return ByteBuffer.allocate(9).put(PARTITION).putLong(topicId).array();
  }

  static byte[] batch(long topicId, int partition, long baseOffset) {
    return ByteBuffer.allocate(21).put(BATCH).putLong(topicId).putInt(partition).putLong(baseOffset).array();
  }

  /** Prefix shared by every batch key of one partition. */
  static byte[] batchPrefix(long topicId, int partition) {
    return ByteBuffer.allocate(13).put(BATCH).putLong(topicId).putInt(partition).array();
  }

  /** First key of a topic's batches (inclusive). */
  static byte[] batchesOf(long topicId) {
    return ByteBuffer.allocate(9).put(BATCH).putLong(topicId).array();
  }

  static byte[] producer(long producerId) {
    return ByteBuffer.allocate(9).put(PRODUCER).putLong(producerId).array();
  }

  static byte[] producerPartition(long producerId, long topicId, int partition) {
    return ByteBuffer.allocate(21).put(PRODUCER_PARTITION).putLong(producerId).putLong(topicId).putInt(partition).array();
  }

  /** Prefix of every partition state of one producer. */
  static byte[] producerPartitionsOf(long producerId) {
    return ByteBuffer.allocate(9).put(PRODUCER_PARTITION).putLong(producerId).array();
  }

  static byte[] token(byte[] secretSha256) {
    return prefixed(TOKEN, secretSha256);
  }

  static byte[] acl(String aclKey) {
    return prefixed(ACL, aclKey.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] quota(String principal) {
    return prefixed(QUOTA, principal.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] group(String groupId) {
    return prefixed(GROUP, groupId.getBytes(StandardCharsets.UTF_8));
  }

  /** Prefix of every committed offset of one group. */
  static byte[] offsetsOf(String groupId) {
    byte[] g = groupId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(2 + g.length).put(OFFSET).put(g).put((byte) 0).array();
  }

  static byte[] offset(String groupId, String topic, int partition) {
    byte[] prefix = offsetsOf(groupId);
    byte[] t = topic.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(prefix.length + t.length + 5).put(prefix).put(t).put((byte) 0).putInt(partition).array();
  }

  /** The smallest key after every key that starts with {@code prefix} (exclusive end of a range). */
  static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return java.util.Arrays.copyOf(end, i + 1);
      }
    }
    throw new IllegalArgumentException("prefix has no successor");
  }

  static boolean startsWith(byte[] key, byte[] prefix) {
    if (key.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (key[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  static byte[] kind(byte kind) {
    return new byte[] {kind};
  }

  private static byte[] prefixed(byte kind, byte[] rest) {
    byte[] key = new byte[rest.length + 1];
    key[0] = kind;
    System.arraycopy(rest, 0, key, 1, rest.length);
    return key;
  }
}
