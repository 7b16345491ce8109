package io.sluice.node.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.function.Function;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Authentication: a gRPC server interceptor that decides who a call runs as and puts that
 * {@link Principal} into the call's {@link Context} ({@link Principal#CONTEXT_KEY}).
 *
 * <ol>
 *   <li>An {@code authorization: Bearer <token>} header wins: the token's SHA-256 must be a live
 *       token of the replicated state (or the configured bootstrap token, which is the bootstrap
 *       admin). A header that is malformed, unknown or revoked fails the call even when the
 *       connection also has a client certificate: a presented credential is never ignored.</li>
 *   <li>Otherwise, on a mutual-TLS connection, the subject CN of the verified client certificate
 *       (the TLS layer verified the chain against the client CA before the call got here).</li>
 *   <li>Otherwise the call fails with UNAUTHENTICATED (AUTHENTICATION_FAILED).</li>
 * </ol>
 *
 * <p>With authentication off every call runs as {@link Principal#ANONYMOUS}. Secrets are never
 * logged: only their hashes are compared. Thread-safe (immutable apart from the state it reads).
 */
public final class Authenticator implements ServerInterceptor {
  /** The request header carrying the bearer token. */
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** SHA-256 of the token the call authenticated with; absent for certificate identities. */
  public static final Context.Key<byte[]> TOKEN_SHA256_KEY = Context.key("sluice-token-sha256");
  /** Longest bearer token accepted, characters (ours are 52). */
  public static final int TOKEN_LENGTH_MAX = 512;

  /** Who a call is, and (for a token) which token: revocation is checked against it. */
  public record Authentication(Principal principal, byte[] tokenSha256) {}

  private final boolean enabled;
  private final Principal bootstrapAdmin;
  private final byte[] bootstrapTokenSha256;
  private final Function<byte[], Optional<String>> tokenPrincipal;
  private final AuthEvents events;

  /**
   * @param enabled              {@code auth.enabled}
   * @param bootstrapAdmin       the principal the bootstrap token authenticates as
   * @param bootstrapTokenSha256 SHA-256 of the bootstrap secret, or null for none
   * @param tokenPrincipal       the principal of the live token with this hash, from applied state
   * @param events               audit and metrics
   */
  public Authenticator(boolean enabled, Principal bootstrapAdmin, byte[] bootstrapTokenSha256,
      Function<byte[], Optional<String>> tokenPrincipal, AuthEvents events) {
    this.enabled = enabled;
    this.bootstrapAdmin = bootstrapAdmin;
    this.bootstrapTokenSha256 = bootstrapTokenSha256 == null ? null : bootstrapTokenSha256.clone();
    this.tokenPrincipal = tokenPrincipal;
    this.events = events;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!enabled) {
      return Contexts.interceptCall(Context.current().withValue(Principal.CONTEXT_KEY, Principal.ANONYMOUS), call,
          headers, next);
    }
    Authentication auth;
    try {
      auth = authenticate(headers.get(AUTHORIZATION), call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    } catch (StatusRuntimeException e) {
      events.unauthenticated(call.getMethodDescriptor().getFullMethodName(), e.getStatus().getDescription());
      call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    Context context = Context.current().withValue(Principal.CONTEXT_KEY, auth.principal());
    if (auth.tokenSha256() != null) {
      context = context.withValue(TOKEN_SHA256_KEY, auth.tokenSha256());
    }
    return Contexts.interceptCall(context, call, headers, next);
  }

  /**
   * Decides who a call is from its {@code authorization} header value (may be null) and its TLS
   * session (null on plaintext).
   *
   * @throws StatusRuntimeException UNAUTHENTICATED saying what was wrong
   */
  public Authentication authenticate(String authorizationHeader, SSLSession ssl) {
    if (authorizationHeader != null) {
      String token = bearerToken(authorizationHeader);
      byte[] sha = sha256(token);
      if (bootstrapTokenSha256 != null && MessageDigest.isEqual(sha, bootstrapTokenSha256)) {
        return new Authentication(bootstrapAdmin, sha);
      }
      String principal = tokenPrincipal.apply(sha).orElseThrow(() -> AuthErrors.unauthenticated(
          "the bearer token is not valid: unknown or revoked"));
      return new Authentication(new Principal(principal), sha);
    }
    Optional<String> cn = certificateCn(ssl);
    if (cn.isPresent()) {
      return new Authentication(new Principal(cn.get()), null);
    }
    throw AuthErrors.unauthenticated("authentication is required: send 'authorization: Bearer <token>'"
        + " (sluice --token) or connect with a client certificate (mutual TLS)");
  }

  /** Whether a token seen earlier (by its hash) still authenticates: the bootstrap token, or live in state. */
  public boolean stillValid(byte[] tokenSha256) {
    return (bootstrapTokenSha256 != null && MessageDigest.isEqual(tokenSha256, bootstrapTokenSha256))
        || tokenPrincipal.apply(tokenSha256).isPresent();
  }

  private static String bearerToken(String header) {
    String h = header.trim();
    if (h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw AuthErrors.unauthenticated("the authorization header must be 'Bearer <token>'");
    }
    String token = h.substring(7).trim();
    if (token.isEmpty() || token.length() > TOKEN_LENGTH_MAX) {
      throw AuthErrors.unauthenticated("the bearer token is empty or longer than " + TOKEN_LENGTH_MAX + " characters");
    }
    return token;
  }

  /**
   * The subject CN of the client certificate of a mutual-TLS session; empty when there is no
   * session, the client sent no certificate, or its subject has no CN. The first certificate of
   * the peer chain is the client's own (the TLS layer has verified the chain).
   */
  public static Optional<String> certificateCn(SSLSession ssl) {
    if (ssl == null) {
      return Optional.empty();
    }
    Certificate[] chain;
    try {
      chain = ssl.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty(); // TLS without a client certificate
    }
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) {
      return Optional.empty();
    }
    return subjectCn(cert.getSubjectX500Principal());
  }

  /** The (most specific) CN of an X.500 name, if it has one. */
  static Optional<String> subjectCn(X500Principal subject) {
    try {
      LdapName name = new LdapName(subject.getName(X500Principal.RFC2253));
      // RFC 2253 lists the most specific RDN first; LdapName indexes it last.
      for (int i = name.size() - 1; i >= 0; i--) {
        Rdn rdn = name.getRdns().get(i);
        if (rdn.getType().equalsIgnoreCase("CN")) {
          String cn = rdn.getValue().toString().trim();
          return cn.isEmpty() ? Optional.empty() : Optional.of(cn);
        }
      }
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** SHA-256 of a token secret as UTF-8: what the replicated state stores instead of the secret. */
  public static byte[] sha256(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
