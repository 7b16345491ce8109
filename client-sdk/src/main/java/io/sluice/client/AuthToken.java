package io.sluice.client;

/**
 * A bearer token as the cluster lists it: never its secret. Immutable.
 *
 * @param id            the token's id, for {@link Admin#revokeToken(String)}, e.g. {@code tok-42}
 * @param principal     the principal it authenticates as
 * @param name          a label for people (may be empty)
 * @param createdTimeMs creation time, epoch milliseconds
 */
public record AuthToken(String id, String principal, String name, long createdTimeMs) {}
