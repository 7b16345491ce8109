package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.client.Acl;
import io.sluice.client.AuthorizationException;
import io.sluice.client.CreatedToken;
import io.sluice.client.Quota;
import io.sluice.client.SluiceClient;
import io.sluice.client.internal.BearerToken;
import io.sluice.node.cli.CliForTests;
import io.sluice.node.quota.Quotas;
import io.sluice.node.security.Principal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicated per-principal quotas on a 3-node cluster with authentication on: set with the CLI, they
 * reach every node and throttle the principal's produce on the leader; they take precedence over the
 * node's configured override; they survive a restart; removing one restores the configured rates;
 * only cluster admins may manage them. The throttle check is a lower bound on time (a loaded machine
 * only makes it slower).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class QuotaAdminTest {
  private static final String ADMIN_SECRET = "bootstrap-secret-0123456789abcdef0123456789";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Principal ALICE = new Principal("alice");
  private static final long CONFIG_FETCH_RATE = 7777; // alice's fetch rate in node configuration
  private static final long RATE = 50_000; // bytes/s, the replicated produce quota set at run time

  @TempDir Path tmp;

  private static void awaitRates(TestCluster c, long produce, long fetch) {
    TestCluster.await(WAIT, "alice's quota to be produce " + produce + " fetch " + fetch + " on every node", () ->
        c.nodes.values().stream().allMatch(n -> n.quotas().rate(ALICE, Quotas.Kind.PRODUCE) == produce
            && n.quotas().rate(ALICE, Quotas.Kind.FETCH) == fetch));
  }

  private static String[] with(String[] args, String... more) {
    String[] out = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, out, args.length, more.length);
    return out;
  }

  @Test
  void quotaSetAtRunTimeThrottlesEverywhereSurvivesRestartAndRemovalRestoresTheConfiguredRates() throws Exception {
    Path tokenFile = tmp.resolve("admin.token");
    Files.writeString(tokenFile, ADMIN_SECRET);
    try (TestCluster c = TestCluster.start(tmp.resolve("c"), 3, Map.of(
            "auth.enabled", "true",
            "auth.bootstrap.token.file", tokenFile.toString(),
            "quota.principal.overrides", "alice:0:" + CONFIG_FETCH_RATE,
            "quota.overrides.max", "2"));
        SluiceClient admin = SluiceClient.builder().bootstrap(c.bootstrap()).token(ADMIN_SECRET)
            .requestTimeout(Duration.ofSeconds(30)).build()) {
      admin.admin().createTopic("orders", 1).get(30, TimeUnit.SECONDS);
      CreatedToken alice = admin.admin().createToken("alice", "quota test").get(30, TimeUnit.SECONDS);
      admin.admin().addAcl(new Acl("alice", Acl.ResourceType.TOPIC, "orders", Acl.Operation.PRODUCE))
          .get(30, TimeUnit.SECONDS);
      String[] asAdmin = {"--bootstrap", c.bootstrap(), "--token-file", tokenFile.toString()};
      String[] asAlice = {"--bootstrap", c.bootstrap(), "--token", alice.secret()};
      awaitRates(c, 0, CONFIG_FETCH_RATE);

      // Not a cluster admin: denied, through the SDK and the CLI.
      try (SluiceClient asAliceClient = SluiceClient.builder().bootstrap(c.bootstrap()).token(alice.secret())
          .requestTimeout(Duration.ofSeconds(30)).build()) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> asAliceClient.admin()
            .setQuota(new Quota("alice", 0, 0)).get(30, TimeUnit.SECONDS));
        assertInstanceOf(AuthorizationException.class, e.getCause());
        assertThrows(ExecutionException.class, () -> asAliceClient.admin().listQuotas().get(30, TimeUnit.SECONDS));
      }
      CliForTests.Result denied = CliForTests.run(with(new String[] {"quota", "set", "--principal", "alice",
          "--produce-bytes-per-second", "0"}, asAlice));
      assertEquals(1, denied.exitCode(), denied.toString());
      assertTrue(denied.err().contains("alice may not administer the cluster"), denied.toString());

      // Set at run time with only the produce rate: the replicated quota replaces the configured
      // override as a whole (fetch: the current replicated value, none, so 0 = unlimited).
      CliForTests.Result set = CliForTests.run(with(new String[] {"quota", "set", "--principal", "alice",
          "--produce-bytes-per-second", Long.toString(RATE)}, asAdmin));
      assertEquals(0, set.exitCode(), set.toString());
      assertEquals("set quota of alice: produce " + RATE + " bytes/s, fetch unlimited\n", set.out());
      awaitRates(c, RATE, 0);
      // Setting the other rate keeps this one.
      CliForTests.Result setFetch = CliForTests.run(with(new String[] {"quota", "set", "--principal", "alice",
          "--fetch-bytes-per-second", "3000"}, asAdmin));
      assertEquals(0, setFetch.exitCode(), setFetch.toString());
      awaitRates(c, RATE, 3000);
      assertEquals(List.of(new Quota("alice", RATE, 3000)), admin.admin().listQuotas().get(30, TimeUnit.SECONDS));
      CliForTests.Result json = CliForTests.run(with(new String[] {"quota", "list", "--json"}, asAdmin));
      assertEquals(0, json.exitCode(), json.toString());
      String compact = json.out().replaceAll("\\s", "");
      assertEquals("[{\"principal\":\"alice\",\"produce_bytes_per_second\":" + RATE
          + ",\"fetch_bytes_per_second\":3000}]", compact, json.out());
      CliForTests.Result table = CliForTests.run(with(new String[] {"quota", "list"}, asAdmin));
      assertTrue(table.out().lines().anyMatch(l -> l.matches("alice\\s+" + RATE + "\\s+3000")), table.toString());

      // The leader throttles alice's produce to the quota: 300 KB at 50 KB/s after a 1 s burst.
      SluiceNode leader = c.currentLeader();
      ManagedChannel ch = NettyChannelBuilder.forAddress(leader.clientAddress().host(), leader.clientAddress().port())
          .usePlaintext().build();
      try {
        var stub = ProduceServiceGrpc.newBlockingStub(ch).withCallCredentials(new BearerToken(alice.secret()));
        long bytes = 0;
        long startNanos = System.nanoTime();
        for (int i = 0; i < 12; i++) {
          ProduceRequest r = QuotaTest.request("orders", 25_000);
          stub.withDeadlineAfter(60, TimeUnit.SECONDS).produce(r);
          bytes += r.getSerializedSize();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        System.out.printf("QuotaAdminTest: alice produced %d bytes in %d ms under a replicated %d bytes/s quota%n",
            bytes, ms, RATE);
        assertTrue(ms >= QuotaTest.minimumMs(bytes, RATE) - 100, bytes + " bytes at " + RATE
            + " bytes/s (1 s burst) take at least " + QuotaTest.minimumMs(bytes, RATE) + " ms, took " + ms);
      } finally {
        ch.shutdownNow();
      }

      // A restarted follower reloads the quota from its state (RocksDB), not from configuration.
      String follower = c.nodes.entrySet().stream().filter(e -> e.getValue() != leader).findFirst().orElseThrow().getKey();
      c.stop(follower);
      c.startNode(follower);
      awaitRates(c, RATE, 3000);

      // Errors: usage (exit 2), refused by the cluster (exit 1), over quota.overrides.max (exit 1).
      CliForTests.Result noRate = CliForTests.run(with(new String[] {"quota", "set", "--principal", "bob"}, asAdmin));
      assertEquals(2, noRate.exitCode(), noRate.toString());
      assertTrue(noRate.err().contains("--produce-bytes-per-second"), noRate.toString());
      CliForTests.Result negative = CliForTests.run(with(new String[] {"quota", "set", "--principal", "bob",
          "--fetch-bytes-per-second", "-1"}, asAdmin));
      assertEquals(2, negative.exitCode(), negative.toString());
      CliForTests.Result everyone = CliForTests.run(with(new String[] {"quota", "set", "--principal", "*",
          "--fetch-bytes-per-second", "1"}, asAdmin));
      assertEquals(1, everyone.exitCode(), everyone.toString());
      assertTrue(everyone.err().contains("only for ACLs"), everyone.toString());
      admin.admin().setQuota(new Quota("bob", 1, 1)).get(30, TimeUnit.SECONDS);
      CliForTests.Result tooMany = CliForTests.run(with(new String[] {"quota", "set", "--principal", "carol",
          "--fetch-bytes-per-second", "1"}, asAdmin));
      assertEquals(1, tooMany.exitCode(), tooMany.toString());
      assertTrue(tooMany.err().contains("already holds 2 quotas"), tooMany.toString());

      // Removal: alice falls back to the configured override on every node.
      CliForTests.Result removed = CliForTests.run(with(new String[] {"quota", "remove", "--principal", "alice"}, asAdmin));
      assertEquals(0, removed.exitCode(), removed.toString());
      assertEquals("removed quota of alice\n", removed.out());
      awaitRates(c, 0, CONFIG_FETCH_RATE);
      assertEquals(List.of(new Quota("bob", 1, 1)), admin.admin().listQuotas().get(30, TimeUnit.SECONDS));
      CliForTests.Result again = CliForTests.run(with(new String[] {"quota", "remove", "--principal", "alice"}, asAdmin));
      assertEquals(1, again.exitCode(), again.toString());
      assertTrue(again.err().contains("principal 'alice' has no replicated quota"), again.toString());
    }
  }
}
