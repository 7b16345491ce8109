package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.api.v1.AclEntry;
import io.sluice.api.v1.AclOperation;
import io.sluice.api.v1.AclResourceType;
import io.sluice.api.v1.ErrorReason;
import io.sluice.internal.v1.AddAcl;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CreateToken;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokens and ACLs in the replicated state: durable, in checkpoints, hashed, validated before the log. */
class AuthStateTest {
  // High-entropy enough to never appear by chance in RocksDB files.
  private static final String SECRET = "sluice-test-secret-7f3a9c1e5b2d4f60a8e7";

  @TempDir Path tmp;

  private static Command createToken(String principal, String secret) {
    return Command.newBuilder().setTimestampMs(5).setCreateToken(CreateToken.newBuilder().setPrincipal(principal)
        .setSecretSha256(ByteString.copyFrom(CoreScript.sha256(secret))).setTokensMax(10)).build();
  }

  private static AclEntry acl() {
    return AclEntry.newBuilder().setPrincipal("alice").setResourceType(AclResourceType.ACL_RESOURCE_TOPIC)
        .setResourceName("orders").setOperation(AclOperation.ACL_OPERATION_PRODUCE).build();
  }

  @Test
  void tokensAndAclsSurviveRestartAndCheckpointAndOnlyTheHashIsOnDisk() throws IOException {
    Path db = tmp.resolve("db");
    try (LogCore core = LogCore.open(db)) {
      core.apply(1, 1, createToken("alice", SECRET));
      core.apply(1, 2, Command.newBuilder().setAddAcl(AddAcl.newBuilder().setAcl(acl()).setAclsMax(10)).build());
    }
    try (LogCore core = LogCore.open(db)) {
      assertEquals("alice", core.tokenByHash(CoreScript.sha256(SECRET)).orElseThrow().getPrincipal());
      assertEquals(List.of(acl()), core.acls());
      core.checkpoint(tmp.resolve("cp"));
    }
    try (LogCore other = LogCore.open(tmp.resolve("other"))) {
      other.replaceWith(tmp.resolve("cp"), 2);
      assertEquals("tok-1", other.tokenByHash(CoreScript.sha256(SECRET)).orElseThrow().getTokenId());
      assertEquals(List.of(acl()), other.acls());
    }
    byte[] needle = SECRET.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertFalse(contains(Files.readAllBytes(f), needle), "the token secret is stored in " + f);
      }
    }
  }

  @Test
  void revokedTokenIsGoneAfterRestart() throws IOException {
    Path db = tmp.resolve("db");
    try (LogCore core = LogCore.open(db)) {
      core.apply(1, 1, createToken("alice", SECRET));
      core.apply(1, 2, Command.newBuilder().setRevokeToken(
          io.sluice.internal.v1.RevokeToken.newBuilder().setTokenId("tok-1")).build());
      assertTrue(core.tokenByHash(CoreScript.sha256(SECRET)).isEmpty());
    }
    try (LogCore core = LogCore.open(db)) {
      assertTrue(core.tokenByHash(CoreScript.sha256(SECRET)).isEmpty());
      assertTrue(core.tokens().isEmpty());
    }
  }

  @Test
  void validatorRefusesMalformedAuthCommands() throws Exception {
    CommandValidator v = new CommandValidator(Limits.DEFAULT);
    try (LogCore core = LogCore.open(tmp.resolve("db"))) {
      CommandRejectedException e = assertThrows(CommandRejectedException.class, () -> v.validate(
          Command.newBuilder().setCreateToken(CreateToken.newBuilder().setPrincipal("alice")
              .setSecretSha256(ByteString.copyFrom(new byte[5])).setTokensMax(1)).build(), 10, core));
      assertEquals(ErrorReason.INVALID_REQUEST, e.reason());
      assertThrows(CommandRejectedException.class, () -> v.validate(createToken("*", SECRET), 10, core),
          "a token for everyone");
      assertThrows(CommandRejectedException.class, () -> v.validate(createToken("a\nb", SECRET), 10, core));
      // An operation that does not apply to the resource type.
      AclEntry bad = acl().toBuilder().setOperation(AclOperation.ACL_OPERATION_ADMIN).build();
      e = assertThrows(CommandRejectedException.class, () -> v.validate(
          Command.newBuilder().setAddAcl(AddAcl.newBuilder().setAcl(bad).setAclsMax(5)).build(), 10, core));
      assertTrue(e.getMessage().contains("does not apply"), e.getMessage());
      AclEntry badName = acl().toBuilder().setResourceName("no spaces allowed").build();
      assertThrows(CommandRejectedException.class, () -> v.validate(
          Command.newBuilder().setAddAcl(AddAcl.newBuilder().setAcl(badName).setAclsMax(5)).build(), 10, core));
      AclEntry clusterWithName = AclEntry.newBuilder().setPrincipal("ops")
          .setResourceType(AclResourceType.ACL_RESOURCE_CLUSTER).setResourceName("x")
          .setOperation(AclOperation.ACL_OPERATION_ADMIN).build();
      assertThrows(CommandRejectedException.class, () -> v.validate(
          Command.newBuilder().setAddAcl(AddAcl.newBuilder().setAcl(clusterWithName).setAclsMax(5)).build(), 10, core));
      v.validate(Command.newBuilder().setAddAcl(AddAcl.newBuilder().setAcl(acl()).setAclsMax(5)).build(), 10, core);
      v.validate(createToken("CN with spaces", SECRET), 10, core);
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
