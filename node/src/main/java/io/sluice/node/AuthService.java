package io.sluice.node;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.sluice.api.v1.AddAclRequest;
import io.sluice.api.v1.AddAclResponse;
import io.sluice.api.v1.AuthServiceGrpc;
import io.sluice.api.v1.CreateTokenRequest;
import io.sluice.api.v1.CreateTokenResponse;
import io.sluice.api.v1.ListAclsRequest;
import io.sluice.api.v1.ListAclsResponse;
import io.sluice.api.v1.ListTokensRequest;
import io.sluice.api.v1.ListTokensResponse;
import io.sluice.api.v1.RemoveAclRequest;
import io.sluice.api.v1.RemoveAclResponse;
import io.sluice.api.v1.RevokeTokenRequest;
import io.sluice.api.v1.RevokeTokenResponse;
import io.sluice.api.v1.TokenInfo;
import io.sluice.internal.v1.AddAcl;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CreateToken;
import io.sluice.internal.v1.RemoveAcl;
import io.sluice.internal.v1.RevokeToken;
import io.sluice.internal.v1.StoredToken;
import io.sluice.node.security.AuthEvents;
import io.sluice.node.security.Authenticator;
import io.sluice.node.security.Principal;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Tokens, ACLs and replicated quotas (the AuthorizationInterceptor lets only cluster admins in). Writes go through
 * Raft; the node that serves CreateToken draws the secret, puts only its SHA-256 in the command and
 * answers the secret once. Lists read this node's applied state. Thread-safe.
 */
final class AuthService extends AuthServiceGrpc.AuthServiceImplBase {
  /** Random bytes in a token secret: 256 bits. */
  static final int SECRET_BYTES = 32;
  /** Prefix of every secret, so that a leaked one is recognisable (e.g. by secret scanners). */
  static final String SECRET_PREFIX = "sluice_";

  private final SluiceNode node;
  private final AuthEvents events;
  private final SecureRandom random = new SecureRandom();

  AuthService(SluiceNode node, AuthEvents events) {
    this.node = node;
    this.events = events;
  }

  @Override
  public void createToken(CreateTokenRequest request, StreamObserver<CreateTokenResponse> observer) {
    byte[] raw = new byte[SECRET_BYTES];
    random.nextBytes(raw);
    String secret = SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Principal caller = Principal.current();
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setCreateToken(CreateToken.newBuilder().setPrincipal(request.getPrincipal()).setName(request.getName())
            .setSecretSha256(ByteString.copyFrom(Authenticator.sha256(secret)))
            .setTokensMax(node.config().getInt(NodeConfig.AUTH_TOKENS_MAX)))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      StoredToken t = outcome.result().getToken();
      events.changed(caller, "created token " + t.getTokenId() + " for principal " + t.getPrincipal());
      return CreateTokenResponse.newBuilder().setToken(info(t)).setSecret(secret).build();
    });
  }

  @Override
  public void revokeToken(RevokeTokenRequest request, StreamObserver<RevokeTokenResponse> observer) {
    Principal caller = Principal.current();
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setRevokeToken(RevokeToken.newBuilder().setTokenId(request.getId()))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      events.changed(caller, "revoked token " + request.getId());
      return RevokeTokenResponse.getDefaultInstance();
    });
  }

  @Override
  public void listTokens(ListTokensRequest request, StreamObserver<ListTokensResponse> observer) {
    ListTokensResponse.Builder r = ListTokensResponse.newBuilder();
    node.core().tokens().forEach(t -> r.addTokens(info(t)));
    Replies.complete(observer, r.build(), null);
  }

  @Override
  public void addAcl(AddAclRequest request, StreamObserver<AddAclResponse> observer) {
    Principal caller = Principal.current();
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setAddAcl(AddAcl.newBuilder().setAcl(request.getAcl()).setAclsMax(node.config().getInt(NodeConfig.AUTH_ACLS_MAX)))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      events.changed(caller, "added ACL " + describe(request.getAcl()));
      return AddAclResponse.getDefaultInstance();
    });
  }

  @Override
  public void removeAcl(RemoveAclRequest request, StreamObserver<RemoveAclResponse> observer) {
    Principal caller = Principal.current();
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setRemoveAcl(RemoveAcl.newBuilder().setAcl(request.getAcl()))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      boolean removed = outcome.result().getAclRemoved().getRemoved();
      if (removed) {
        events.changed(caller, "removed ACL " + describe(request.getAcl()));
      }
      return RemoveAclResponse.newBuilder().setRemoved(removed).build();
    });
  }

  @Override
  public void listAcls(ListAclsRequest request, StreamObserver<ListAclsResponse> observer) {
    Replies.complete(observer, ListAclsResponse.newBuilder().addAllAcls(node.core().acls()).build(), null);
  }

  @Override
  public void setQuota(io.sluice.api.v1.SetQuotaRequest request,
      StreamObserver<io.sluice.api.v1.SetQuotaResponse> observer) {
    Principal caller = Principal.current();
    io.sluice.api.v1.QuotaEntry q = request.getQuota();
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setSetQuota(io.sluice.internal.v1.SetQuota.newBuilder().setQuota(q)
            .setQuotasMax(node.config().getInt(NodeConfig.QUOTA_OVERRIDES_MAX)))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      events.changed(caller, "set quota of " + q.getPrincipal() + ": produce " + q.getProduceBytesPerSecond()
          + " bytes/s, fetch " + q.getFetchBytesPerSecond() + " bytes/s");
      return io.sluice.api.v1.SetQuotaResponse.getDefaultInstance();
    });
  }

  @Override
  public void removeQuota(io.sluice.api.v1.RemoveQuotaRequest request,
      StreamObserver<io.sluice.api.v1.RemoveQuotaResponse> observer) {
    Principal caller = Principal.current();
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setRemoveQuota(io.sluice.internal.v1.RemoveQuota.newBuilder().setPrincipal(request.getPrincipal()))
        .build();
    Replies.propose(node, command, observer, outcome -> {
      boolean removed = outcome.result().getQuotaRemoved().getRemoved();
      if (removed) {
        events.changed(caller, "removed quota of " + request.getPrincipal());
      }
      return io.sluice.api.v1.RemoveQuotaResponse.newBuilder().setRemoved(removed).build();
    });
  }

  @Override
  public void listQuotas(io.sluice.api.v1.ListQuotasRequest request,
      StreamObserver<io.sluice.api.v1.ListQuotasResponse> observer) {
    Replies.complete(observer, io.sluice.api.v1.ListQuotasResponse.newBuilder()
        .addAllQuotas(node.core().quotas().values()).build(), null);
  }

  private static TokenInfo info(StoredToken t) {
    return TokenInfo.newBuilder().setId(t.getTokenId()).setPrincipal(t.getPrincipal()).setName(t.getName())
        .setCreatedTimeMs(t.getCreatedTimeMs()).build();
  }

  static String describe(io.sluice.api.v1.AclEntry a) {
    return a.getPrincipal() + " " + a.getOperation().name().replace("ACL_OPERATION_", "").toLowerCase()
        + " " + a.getResourceType().name().replace("ACL_RESOURCE_", "").toLowerCase()
        + (a.getResourceName().isEmpty() ? "" : " " + a.getResourceName());
  }
}
