package io.sluice.client;

import java.util.Objects;

/**
 * One allow rule: {@code principal} may do {@code operation} on a resource. Anything no rule allows
 * is denied once the cluster has authentication on. Topics: PRODUCE, CONSUME, DESCRIBE, ALTER
 * (create, delete, alter config); groups: READ (join, commit, reset), DESCRIBE, DELETE; the
 * cluster: ADMIN (everything). PRODUCE, CONSUME and ALTER imply DESCRIBE; READ and DELETE imply
 * DESCRIBE of the group. Immutable.
 *
 * @param principal    a principal name, or {@code *} for every authenticated principal
 * @param resourceType what the rule is about
 * @param resourceName topic or group name, or name prefix; empty for the cluster
 * @param operation    what it allows
 */
public record Acl(String principal, ResourceType resourceType, String resourceName, Operation operation) {

  /** Kinds of resource. */
  public enum ResourceType {
    /** One topic, by exact name. */
    TOPIC,
    /** Every topic whose name starts with the resource name. */
    TOPIC_PREFIX,
    /** One consumer group, by exact id. */
    GROUP,
    /** Every group whose id starts with the resource name. */
    GROUP_PREFIX,
    /** The cluster (empty resource name). */
    CLUSTER
  }

  /** Operations. */
  public enum Operation {
    /** Topics: write records. */
    PRODUCE,
    /** Topics: read records (fetch, subscribe, commit offsets for them). */
    CONSUME,
    /** Topics and groups: see them (describe, list, offsets). */
    DESCRIBE,
    /** Topics: create, delete, change configuration. */
    ALTER,
    /** Groups: join, heartbeat, leave, commit and reset offsets. */
    READ,
    /** Groups: delete. */
    DELETE,
    /** The cluster: everything, including membership, tokens and ACLs. */
    ADMIN
  }

  /**
   * Checks for nulls (the cluster checks the rest).
   *
   * @param principal    a principal name, or {@code *}
   * @param resourceType what the rule is about
   * @param resourceName topic or group name or prefix; empty for the cluster
   * @param operation    what it allows
   */
  public Acl {
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(resourceType, "resourceType");
    Objects.requireNonNull(resourceName, "resourceName");
    Objects.requireNonNull(operation, "operation");
  }

  @Override
  public String toString() {
    return principal + " " + operation.name().toLowerCase(java.util.Locale.ROOT) + " "
        + resourceType.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
        + (resourceName.isEmpty() ? "" : " " + resourceName);
  }
}
