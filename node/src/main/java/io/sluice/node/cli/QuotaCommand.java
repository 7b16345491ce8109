package io.sluice.node.cli;

import io.sluice.client.Admin;
import io.sluice.client.Quota;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice quota set|remove|list}: replicated per-principal byte-rate quotas (cluster admin only). */
@Command(
    name = "quota",
    mixinStandardHelpOptions = true,
    description = "Manage per-principal produce and fetch byte-rate quotas for the whole cluster (cluster admin"
        + " only). They take precedence over the nodes' quota.principal.overrides and the defaults.",
    subcommands = {QuotaCommand.Set.class, QuotaCommand.Remove.class, QuotaCommand.ListQuotas.class})
final class QuotaCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: set, remove or list");
  }

  @Command(name = "set", mixinStandardHelpOptions = true, description = "Set a principal's quota, e.g."
      + " `sluice quota set --principal etl --produce-bytes-per-second 1048576`. A rate not given keeps the"
      + " principal's current replicated value (0, unlimited, if it has none). 0 means unlimited.")
  static final class Set implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;

    @Option(names = "--principal", required = true, paramLabel = "NAME", description = "The principal.")
    String principal;

    @Option(names = "--produce-bytes-per-second", paramLabel = "N",
        description = "Request bytes the principal may produce per second on each node; 0 unlimited.")
    Long produceBytesPerSecond;

    @Option(names = "--fetch-bytes-per-second", paramLabel = "N",
        description = "Record bytes the principal may fetch per second on each node; 0 unlimited.")
    Long fetchBytesPerSecond;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      if (produceBytesPerSecond == null && fetchBytesPerSecond == null) {
        throw new ParameterException(spec.commandLine(),
            "give --produce-bytes-per-second and/or --fetch-bytes-per-second");
      }
      if (produceBytesPerSecond != null) {
        Validate.notNegative(spec, "--produce-bytes-per-second", produceBytesPerSecond);
      }
      if (fetchBytesPerSecond != null) {
        Validate.notNegative(spec, "--fetch-bytes-per-second", fetchBytesPerSecond);
      }
      Quota quota = client.admin(timeout.ms, "setting the quota of '" + principal + "'", admin -> {
        if (produceBytesPerSecond != null && fetchBytesPerSecond != null) {
          Quota q = new Quota(principal, produceBytesPerSecond, fetchBytesPerSecond);
          return admin.setQuota(q).thenApply(v -> q);
        }
        // Only one rate given: keep the other (read, then write; a concurrent set in between is overwritten).
        return admin.listQuotas().thenCompose(all -> {
          Quota current = all.stream().filter(q -> q.principal().equals(principal)).findFirst()
              .orElse(new Quota(principal, 0, 0));
          Quota q = new Quota(principal,
              produceBytesPerSecond != null ? produceBytesPerSecond : current.produceBytesPerSecond(),
              fetchBytesPerSecond != null ? fetchBytesPerSecond : current.fetchBytesPerSecond());
          return admin.setQuota(q).thenApply(v -> q);
        });
      });
      spec.commandLine().getOut().printf("set quota of %s: produce %s, fetch %s%n", principal,
          rate(quota.produceBytesPerSecond()), rate(quota.fetchBytesPerSecond()));
      spec.commandLine().getOut().flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a principal's replicated quota;"
      + " it falls back to the node's quota.principal.overrides, else the defaults.")
  static final class Remove implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;

    @Option(names = "--principal", required = true, paramLabel = "NAME", description = "The principal.")
    String principal;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      boolean removed = client.admin(timeout.ms, "removing the quota of '" + principal + "'",
          admin -> admin.removeQuota(principal));
      if (!removed) {
        throw new CliException("principal '" + principal + "' has no replicated quota");
      }
      spec.commandLine().getOut().printf("removed quota of %s%n", principal);
      spec.commandLine().getOut().flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List the replicated quotas (not the ones in node configuration).")
  static final class ListQuotas extends ListCommand<Quota> {
    ListQuotas() {
      super("listing quotas", Admin::listQuotas, ListQuotas::toJson,
          () -> new Table("PRINCIPAL", "PRODUCE_BYTES_PER_SECOND", "FETCH_BYTES_PER_SECOND"),
          q -> new Object[] {q.principal(), cell(q.produceBytesPerSecond()), cell(q.fetchBytesPerSecond())});
    }

    private static Map<String, Object> toJson(Quota q) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("principal", q.principal());
      m.put("produce_bytes_per_second", q.produceBytesPerSecond());
      m.put("fetch_bytes_per_second", q.fetchBytesPerSecond());
      return m;
    }
  }

  private static String cell(long bytesPerSecond) {
    return bytesPerSecond == 0 ? "unlimited" : Long.toString(bytesPerSecond);
  }

  private static String rate(long bytesPerSecond) {
    return bytesPerSecond == 0 ? "unlimited" : bytesPerSecond + " bytes/s";
  }
}
