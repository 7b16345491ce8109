package io.sluice.node.security;

import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.AclEntry;
import io.sluice.api.v1.AclOperation;
import io.sluice.api.v1.AclResourceType;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Authorization against the replicated ACLs: allow rules only, so anything no rule allows is
 * denied (once authentication is on). The bootstrap admin, and any principal with ADMIN on the
 * cluster, may do everything. PRODUCE, CONSUME and ALTER on a topic imply DESCRIBE of it; READ and
 * DELETE on a group imply DESCRIBE of it. A rule for principal {@code *} applies to everyone
 * authenticated. Every node decides from its own applied state.
 *
 * <p>Thread-safe: reads an immutable ACL list per decision.
 */
public final class Authorizer {
  /** The kinds of resource a call acts on. */
  public enum Kind { TOPIC, GROUP, CLUSTER }

  private final boolean enabled;
  private final Principal bootstrapAdmin;
  private final Supplier<List<AclEntry>> acls;
  private final AuthEvents events;

  public Authorizer(boolean enabled, Principal bootstrapAdmin, Supplier<List<AclEntry>> acls, AuthEvents events) {
    this.enabled = enabled;
    this.bootstrapAdmin = bootstrapAdmin;
    this.acls = acls;
    this.events = events;
  }

  public boolean enabled() {
    return enabled;
  }

  /** Where decisions are audited and counted. */
  public AuthEvents events() {
    return events;
  }

  /** Whether {@code principal} may do {@code op} on the resource (no audit: for filtering lists). */
  public boolean allowed(Principal principal, Kind kind, String name, AclOperation op) {
    if (!enabled || principal.equals(bootstrapAdmin)) {
      return true;
    }
    for (AclEntry a : acls.get()) {
      if (principalMatches(a, principal) && (isClusterAdmin(a) || (resourceMatches(a, kind, name) && implies(a.getOperation(), op)))) {
        return true;
      }
    }
    return false;
  }

  /** Whether any rule lets {@code principal} do {@code op} on some topic (InitProducer: a producer id). */
  public boolean allowedOnSomeTopic(Principal principal, AclOperation op) {
    if (!enabled || principal.equals(bootstrapAdmin)) {
      return true;
    }
    for (AclEntry a : acls.get()) {
      if (principalMatches(a, principal) && (isClusterAdmin(a) || ((a.getResourceType() == AclResourceType.ACL_RESOURCE_TOPIC
          || a.getResourceType() == AclResourceType.ACL_RESOURCE_TOPIC_PREFIX) && implies(a.getOperation(), op)))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks one operation of a call, audits it and counts a denial.
   *
   * @param auditAllowed whether an allowed decision is audited even without audit.allows (admin/alter)
   * @throws StatusRuntimeException PERMISSION_DENIED, "alice may not produce to topic orders"
   */
  public void check(Principal principal, Kind kind, String name, AclOperation op, String method, boolean auditAllowed) {
    String resource = resource(kind, name);
    if (allowed(principal, kind, name, op)) {
      if (enabled) {
        events.allowed(principal, opName(op), resource, method, auditAllowed);
      }
      return;
    }
    events.denied(principal, opName(op), resource, method);
    throw AuthErrors.denied(principal.name() + " may not " + phrase(op, kind, name),
        Map.of(AuthErrors.PRINCIPAL, principal.name(), AuthErrors.OPERATION, opName(op), AuthErrors.RESOURCE, resource));
  }

  /** Like {@link #check} for InitProducer: PRODUCE on at least one topic. */
  public void checkSomeTopic(Principal principal, AclOperation op, String method) {
    if (allowedOnSomeTopic(principal, op)) {
      if (enabled) {
        events.allowed(principal, opName(op), "topic:*", method, false);
      }
      return;
    }
    events.denied(principal, opName(op), "topic:*", method);
    throw AuthErrors.denied(principal.name() + " may not " + opName(op) + " to any topic",
        Map.of(AuthErrors.PRINCIPAL, principal.name(), AuthErrors.OPERATION, opName(op), AuthErrors.RESOURCE, "topic:*"));
  }

  private static boolean principalMatches(AclEntry a, Principal p) {
    return a.getPrincipal().equals("*") || a.getPrincipal().equals(p.name());
  }

  private static boolean isClusterAdmin(AclEntry a) {
    return a.getResourceType() == AclResourceType.ACL_RESOURCE_CLUSTER && a.getOperation() == AclOperation.ACL_OPERATION_ADMIN;
  }

  private static boolean resourceMatches(AclEntry a, Kind kind, String name) {
    return switch (a.getResourceType()) {
      case ACL_RESOURCE_TOPIC -> kind == Kind.TOPIC && a.getResourceName().equals(name);
      case ACL_RESOURCE_TOPIC_PREFIX -> kind == Kind.TOPIC && name.startsWith(a.getResourceName());
      case ACL_RESOURCE_GROUP -> kind == Kind.GROUP && a.getResourceName().equals(name);
      case ACL_RESOURCE_GROUP_PREFIX -> kind == Kind.GROUP && name.startsWith(a.getResourceName());
      case ACL_RESOURCE_CLUSTER -> kind == Kind.CLUSTER;
      default -> false;
    };
  }

  private static boolean implies(AclOperation granted, AclOperation wanted) {
    return granted == wanted || (wanted == AclOperation.ACL_OPERATION_DESCRIBE && granted != AclOperation.ACL_OPERATION_ADMIN);
  }

  /** Lower-case operation name: produce, consume, describe, alter, read, delete, admin. */
  public static String opName(AclOperation op) {
    return op.name().substring("ACL_OPERATION_".length()).toLowerCase(java.util.Locale.ROOT);
  }

  static String resource(Kind kind, String name) {
    return kind == Kind.CLUSTER ? "cluster" : kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + name;
  }

  private static String phrase(AclOperation op, Kind kind, String name) {
    String what = kind == Kind.CLUSTER ? "the cluster" : kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name;
    return switch (op) {
      case ACL_OPERATION_PRODUCE -> "produce to " + what;
      case ACL_OPERATION_CONSUME -> "consume from " + what;
      case ACL_OPERATION_ADMIN -> "administer " + what + " (needs ADMIN on the cluster)";
      default -> opName(op) + " " + what;
    };
  }
}
