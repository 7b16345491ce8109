package io.sluice.node.security;

import io.grpc.Context;
import java.util.Objects;

/**
 * Who is calling: the identity a client RPC runs as. Authentication (a bearer token, or the subject
 * of a client certificate under mutual TLS) puts it in the gRPC {@link Context} of the call under
 * {@link #CONTEXT_KEY}; authorization, quotas and the audit log read it with {@link #current()}.
 * With authentication off every call runs as {@link #ANONYMOUS}. Immutable.
 *
 * @param name the principal's name as ACLs and quotas name it, e.g. {@code alice} (never blank)
 */
public record Principal(String name) {

  /** The principal of an unauthenticated call (authentication off). */
  public static final Principal ANONYMOUS = new Principal("anonymous");

  /** Where the authenticated principal of a call lives. */
  public static final Context.Key<Principal> CONTEXT_KEY = Context.key("sluice-principal");

  public Principal {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a principal name must not be blank");
    }
  }

  /** The principal of the call running on this thread; {@link #ANONYMOUS} outside an authenticated call. */
  public static Principal current() {
    Principal p = CONTEXT_KEY.get();
    return p != null ? p : ANONYMOUS;
  }

  @Override
  public String toString() {
    return name;
  }
}
