package io.sluice.node.security;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where security decisions are recorded: the audit log and the denial counters.
 *
 * <p>Audit: one line per decision worth auditing, to the logger {@value #AUDIT_LOGGER} (its own
 * file with {@code audit.file}): every denial, every allowed admin or alter operation, every token
 * and ACL change, and every allowed call when {@code audit.allows} is on. A line is
 * {@code audit decision=allowed|denied principal=P operation=OP resource=R method=M node=N [detail="…"]};
 * the log's own timestamp is when. Values never hold secrets.
 *
 * <p>Metrics: {@code sluice_auth_denials_total{reason,operation}} (reason AUTHENTICATION_FAILED or
 * AUTHORIZATION_FAILED; operation an ACL operation, or {@code authenticate}) and
 * {@code sluice_auth_decisions_total{decision}}. Thread-safe.
 */
public final class AuthEvents {
  /** Name of the audit logger. */
  public static final String AUDIT_LOGGER = "sluice.audit";
  private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);

  private final MeterRegistry registry;
  private final String nodeId;
  private final boolean auditAllows;
  private final Map<String, Counter> denials = new ConcurrentHashMap<>();
  private final Counter allowed;

  public AuthEvents(MeterRegistry registry, String nodeId, boolean auditAllows) {
    this.registry = registry;
    this.nodeId = nodeId;
    this.auditAllows = auditAllows;
    this.allowed = Counter.builder("sluice.auth.decisions").tag("decision", "allowed")
        .description("Authorization decisions").register(registry);
  }

  /** A call without valid credentials. */
  public void unauthenticated(String method, String why) {
    denialCounter("AUTHENTICATION_FAILED", "authenticate").increment();
    AUDIT.info("audit decision=denied principal=(unauthenticated) operation=authenticate resource=- method={} node={}"
        + " detail=\"{}\"", method, nodeId, clean(why));
  }

  /** An authorization denial. */
  public void denied(Principal principal, String operation, String resource, String method) {
    denialCounter("AUTHORIZATION_FAILED", operation).increment();
    AUDIT.info("audit decision=denied principal={} operation={} resource={} method={} node={}",
        clean(principal.name()), operation, clean(resource), method, nodeId);
  }

  /**
   * An allowed call; audited when {@code always} (admin, alter, token and ACL changes) or when
   * {@code audit.allows} is on.
   */
  public void allowed(Principal principal, String operation, String resource, String method, boolean always) {
    allowed.increment();
    if (always || auditAllows) {
      AUDIT.info("audit decision=allowed principal={} operation={} resource={} method={} node={}",
          clean(principal.name()), operation, clean(resource), method, nodeId);
    }
  }

  /** A change of tokens or ACLs that was applied (after the allowed call that asked for it). */
  public void changed(Principal principal, String what) {
    AUDIT.info("audit decision=applied principal={} operation=admin resource=cluster node={} detail=\"{}\"",
        clean(principal.name()), nodeId, clean(what));
  }

  private Counter denialCounter(String reason, String operation) {
    return denials.computeIfAbsent(reason + "/" + operation, k -> Counter.builder("sluice.auth.denials")
        .tag("reason", reason).tag("operation", operation)
        .description("Calls refused by authentication or authorization").register(registry));
  }

  /** One line per event: a name holding newlines or quotes must not forge another line. */
  private static String clean(String s) {
    if (s == null) {
      return "";
    }
    return s.replaceAll("[\\p{Cntrl}\"]", "?");
  }
}
