package io.sluice.protocol;

/**
 * Consumer-group id and offset-commit rules, shared by the SDK (early feedback) and the server
 * (authoritative). Group ids follow the topic-name rules: 1 to 249 characters from [a-zA-Z0-9._-].
 */
public final class GroupIds {
  /** Most bytes (UTF-8) of the metadata stored with one committed offset. */
  public static final int METADATA_BYTES_MAX = 1024;

  private GroupIds() {}

  /** Returns null when {@code groupId} is a legal group id, otherwise what is wrong with it. */
  public static String problem(String groupId) {
    String p = TopicNames.problem(groupId);
    return p == null ? null : p.replace("topic name", "group id");
  }
}
