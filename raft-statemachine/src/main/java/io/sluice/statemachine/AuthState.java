package io.sluice.statemachine;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.v1.AclEntry;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.AclRemoved;
import io.sluice.internal.v1.AddAcl;
import io.sluice.internal.v1.CommandResult;
import io.sluice.internal.v1.CreateToken;
import io.sluice.internal.v1.RemoveAcl;
import io.sluice.internal.v1.RevokeToken;
import io.sluice.internal.v1.StoredToken;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The security part of the replicated state: bearer tokens (stored by the SHA-256 of their secret,
 * never the secret) and allow ACLs. Applies {@link CreateToken}, {@link RevokeToken}, {@link AddAcl}
 * and {@link RemoveAcl} deterministically: a token's id is {@code tok-<Raft index>}, limits come
 * stamped in the command, and nothing reads a clock.
 *
 * <p>Thread-safety: the applying thread writes (through {@link LogCore.Effects}, after the entry's
 * WriteBatch is written); any thread reads the concurrent caches.
 */
final class AuthState {
  private final Map<ByteBuffer, StoredToken> tokensByHash = new ConcurrentHashMap<>();
  private final Map<String, StoredToken> tokensById = new ConcurrentHashMap<>();
  private final Map<String, AclEntry> acls = new ConcurrentHashMap<>();
  // Sorted, immutable copy of acls: authorization reads it on every call, so it is built once per change.
  private volatile List<AclEntry> aclList = List.of();

  void clear() {
    tokensByHash.clear();
    tokensById.clear();
    acls.clear();
    aclList = List.of();
  }

  void load(RocksDB db) throws InvalidProtocolBufferException {
    try (RocksIterator it = db.newIterator()) {
      for (it.seek(Keys.kind(Keys.TOKEN)); it.isValid() && it.key()[0] == Keys.TOKEN; it.next()) {
        StoredToken t = StoredToken.parseFrom(it.value());
        Invariants.check(t.getSecretSha256().size() == 32, "token %s has a %d-byte hash", t.getTokenId(),
            t.getSecretSha256().size());
        put(t);
      }
      for (it.seek(Keys.kind(Keys.ACL)); it.isValid() && it.key()[0] == Keys.ACL; it.next()) {
        AclEntry a = AclEntry.parseFrom(it.value());
        acls.put(aclKey(a), a);
      }
    }
    aclList = sortedAcls();
  }

  private void put(StoredToken t) {
    tokensByHash.put(ByteBuffer.wrap(t.getSecretSha256().toByteArray()), t);
    tokensById.put(t.getTokenId(), t);
  }

  /** The key that identifies an ACL (its four fields; names never hold 0x00). */
  static String aclKey(AclEntry a) {
    return a.getPrincipal() + '\0' + a.getResourceType().name() + '\0' + a.getResourceName() + '\0'
        + a.getOperation().name();
  }

  CommandResult createToken(long index, long timestampMs, CreateToken c, WriteBatch batch, LogCore.Effects fx)
      throws RocksDBException {
    Invariants.check(c.getSecretSha256().size() == 32, "create-token with a %d-byte hash reached the log",
        c.getSecretSha256().size());
    int count = tokensById.size() + fx.tokensPut.size() - fx.tokensRemoved.size();
    if (count >= c.getTokensMax()) {
      return LogCore.error(ErrorReason.TOO_MANY_AUTH_ENTRIES, "the cluster already holds " + count
          + " tokens (auth.tokens.max " + c.getTokensMax() + "); revoke unused ones");
    }
    if (tokensByHash.containsKey(ByteBuffer.wrap(c.getSecretSha256().toByteArray()))) {
      return LogCore.error(ErrorReason.INVALID_REQUEST, "a token with this secret exists already");
    }
    StoredToken t = StoredToken.newBuilder()
        .setTokenId("tok-" + index)
        .setPrincipal(c.getPrincipal())
        .setName(c.getName())
        .setSecretSha256(c.getSecretSha256())
        .setCreatedTimeMs(timestampMs)
        .build();
    batch.put(Keys.token(c.getSecretSha256().toByteArray()), t.toByteArray());
    fx.tokensPut.add(t);
    return CommandResult.newBuilder().setToken(t).build();
  }

  CommandResult revokeToken(RevokeToken c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    StoredToken t = tokensById.get(c.getTokenId());
    if (t == null) {
      return LogCore.error(ErrorReason.UNKNOWN_TOKEN, "no token has id '" + c.getTokenId() + "'");
    }
    batch.delete(Keys.token(t.getSecretSha256().toByteArray()));
    fx.tokensRemoved.add(t);
    return LogCore.ok();
  }

  CommandResult addAcl(AddAcl c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    String key = aclKey(c.getAcl());
    if (acls.containsKey(key)) {
      return LogCore.ok();
    }
    if (acls.size() >= c.getAclsMax()) {
      return LogCore.error(ErrorReason.TOO_MANY_AUTH_ENTRIES, "the cluster already holds " + acls.size()
          + " ACLs (auth.acls.max " + c.getAclsMax() + ")");
    }
    batch.put(Keys.acl(key), c.getAcl().toByteArray());
    fx.aclsPut.put(key, c.getAcl());
    return LogCore.ok();
  }

  CommandResult removeAcl(RemoveAcl c, WriteBatch batch, LogCore.Effects fx) throws RocksDBException {
    String key = aclKey(c.getAcl());
    boolean present = acls.containsKey(key);
    if (present) {
      batch.delete(Keys.acl(key));
      fx.aclsRemoved.add(key);
    }
    return CommandResult.newBuilder().setAclRemoved(AclRemoved.newBuilder().setRemoved(present)).build();
  }

  void publish(LogCore.Effects fx) {
    fx.tokensPut.forEach(this::put);
    for (StoredToken t : fx.tokensRemoved) {
      tokensByHash.remove(ByteBuffer.wrap(t.getSecretSha256().toByteArray()));
      tokensById.remove(t.getTokenId());
    }
    if (!fx.aclsPut.isEmpty() || !fx.aclsRemoved.isEmpty()) {
      acls.putAll(fx.aclsPut);
      fx.aclsRemoved.forEach(acls::remove);
      aclList = sortedAcls();
    }
  }

  // Reads: any thread.

  Optional<StoredToken> tokenByHash(byte[] sha256) {
    return Optional.ofNullable(tokensByHash.get(ByteBuffer.wrap(sha256)));
  }

  List<StoredToken> tokens() {
    List<StoredToken> out = new ArrayList<>(tokensById.values());
    out.sort(Comparator.comparingLong(StoredToken::getCreatedTimeMs).thenComparing(StoredToken::getTokenId));
    return out;
  }

  List<AclEntry> acls() {
    return aclList;
  }

  private List<AclEntry> sortedAcls() {
    List<AclEntry> out = new ArrayList<>(acls.values());
    out.sort(Comparator.comparing(AuthState::aclKey));
    return List.copyOf(out);
  }
}
