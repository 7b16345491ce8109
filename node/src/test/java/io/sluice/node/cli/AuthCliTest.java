package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.node.PublicTestCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice auth token create|revoke|list} and {@code sluice acl add|remove|list} as an operator
 * runs them against a node with authentication on, with the errors a user sees.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class AuthCliTest {
  private static final String ADMIN_SECRET = "bootstrap-secret-0123456789abcdef0123456789";

  @TempDir Path tmp;

  @Test
  void tokensAndAclsFromTheCommandLine() throws Exception {
    Path adminToken = tmp.resolve("admin.token");
    Files.writeString(adminToken, ADMIN_SECRET + "\n");
    try (PublicTestCluster cluster = PublicTestCluster.start(tmp.resolve("c"), 1, Map.of(
        "auth.enabled", "true", "auth.bootstrap.token.file", adminToken.toString()))) {
      String b = cluster.bootstrap();
      String[] asAdmin = {"--bootstrap", b, "--token-file", adminToken.toString()};

      // No credentials: refused, one error line, exit 1.
      CliRun none = CliRun.run("topic", "list", "--bootstrap", b);
      assertEquals(1, none.exitCode(), none.toString());
      assertTrue(none.err().startsWith("sluice: error: ") && none.err().contains("authentication is required"),
          none.toString());

      CliRun created = CliRun.run(concat(new String[] {"auth", "token", "create", "--principal", "alice", "--name",
          "ci"}, asAdmin));
      assertEquals(0, created.exitCode(), created.toString());
      Matcher m = Pattern.compile("created token (tok-\\d+) for principal alice\\nsecret \\(shown once; store it now\\):"
          + " (\\S+)\\n").matcher(created.out());
      assertTrue(m.find(), created.out());
      String id = m.group(1);
      String secret = m.group(2);
      String[] asAlice = {"--bootstrap", b, "--token", secret};

      // Default deny, with the message naming who, what and which.
      CliRun denied = CliRun.run(concat(new String[] {"topic", "create", "orders"}, asAlice));
      assertEquals(1, denied.exitCode(), denied.toString());
      assertTrue(denied.err().contains("alice may not alter topic orders"), denied.toString());

      CliRun added = CliRun.run(concat(new String[] {"acl", "add", "--principal", "alice", "--operation", "alter",
          "--topic", "orders"}, asAdmin));
      assertEquals(0, added.exitCode(), added.toString());
      assertEquals("added ACL: alice alter topic orders\n", added.out());
      CliRun allowed = CliRun.run(concat(new String[] {"topic", "create", "orders"}, asAlice));
      assertEquals(0, allowed.exitCode(), allowed.toString());

      CliRun acls = CliRun.run(concat(new String[] {"acl", "list"}, asAdmin));
      assertEquals(0, acls.exitCode(), acls.toString());
      assertTrue(acls.out().lines().anyMatch(l -> l.matches("alice\\s+topic\\s+orders\\s+alter")), acls.out());
      // ACL and token management is for cluster admins only.
      CliRun notAdmin = CliRun.run(concat(new String[] {"acl", "list"}, asAlice));
      assertEquals(1, notAdmin.exitCode(), notAdmin.toString());
      assertTrue(notAdmin.err().contains("alice may not administer the cluster"), notAdmin.toString());

      CliRun list = CliRun.run(concat(new String[] {"auth", "token", "list"}, asAdmin));
      assertEquals(0, list.exitCode(), list.toString());
      assertTrue(list.out().lines().anyMatch(l -> l.startsWith(id) && l.contains("alice") && l.contains("ci")), list.out());
      assertFalse(list.out().contains(secret), "a listing never shows a secret");

      // Errors: unknown ACL, unknown token, bad operation, conflicting token options.
      CliRun noSuchAcl = CliRun.run(concat(new String[] {"acl", "remove", "--principal", "bob", "--operation",
          "produce", "--topic", "orders"}, asAdmin));
      assertEquals(1, noSuchAcl.exitCode(), noSuchAcl.toString());
      assertTrue(noSuchAcl.err().contains("no such ACL: bob produce topic orders"), noSuchAcl.toString());
      CliRun badOp = CliRun.run(concat(new String[] {"acl", "add", "--principal", "bob", "--operation", "fly",
          "--topic", "orders"}, asAdmin));
      assertEquals(2, badOp.exitCode(), badOp.toString());
      CliRun wrongKind = CliRun.run(concat(new String[] {"acl", "add", "--principal", "bob", "--operation", "admin",
          "--topic", "orders"}, asAdmin));
      assertEquals(1, wrongKind.exitCode(), wrongKind.toString());
      assertTrue(wrongKind.err().contains("does not apply"), wrongKind.toString());
      CliRun unknownToken = CliRun.run(concat(new String[] {"auth", "token", "revoke", "tok-999999"}, asAdmin));
      assertEquals(1, unknownToken.exitCode(), unknownToken.toString());
      assertTrue(unknownToken.err().contains("no token has id 'tok-999999'"), unknownToken.toString());
      CliRun both = CliRun.run("topic", "list", "--bootstrap", b, "--token", "x", "--token-file", adminToken.toString());
      assertEquals(1, both.exitCode(), both.toString());
      assertTrue(both.err().contains("--token and --token-file exclude each other"), both.toString());

      CliRun removed = CliRun.run(concat(new String[] {"acl", "remove", "--principal", "alice", "--operation", "alter",
          "--topic", "orders"}, asAdmin));
      assertEquals(0, removed.exitCode(), removed.toString());

      CliRun revoked = CliRun.run(concat(new String[] {"auth", "token", "revoke", id}, asAdmin));
      assertEquals(0, revoked.exitCode(), revoked.toString());
      CliRun after = CliRun.run(concat(new String[] {"topic", "list"}, asAlice));
      assertEquals(1, after.exitCode(), after.toString());
      assertTrue(after.err().contains("unknown or revoked"), after.toString());
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
