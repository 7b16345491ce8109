package io.sluice.client;

/**
 * A token just created, with its secret: the only time the secret is available (the cluster keeps
 * its SHA-256 only). Pass the secret to {@link SluiceClient.Builder#token(String)}. Immutable;
 * {@link #toString()} leaves the secret out.
 *
 * @param token  the token's listing
 * @param secret the bearer secret
 */
public record CreatedToken(AuthToken token, String secret) {
  @Override
  public String toString() {
    return "CreatedToken[" + token + ", secret=(hidden)]";
  }
}
