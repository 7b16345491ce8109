package io.sluice.node.cli;

import io.sluice.client.Admin;
import io.sluice.client.AuthToken;
import io.sluice.client.CreatedToken;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice auth token create|revoke|list} (cluster admin only). */
@Command(
    name = "auth",
    mixinStandardHelpOptions = true,
    description = "Manage bearer tokens (cluster admin only).",
    subcommands = {AuthCommand.Token.class})
final class AuthCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: token");
  }

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description = "Create, revoke and list bearer tokens.",
      subcommands = {Token.Create.class, Token.Revoke.class, Token.ListTokens.class})
  static final class Token implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      throw new ParameterException(spec.commandLine(), "missing subcommand: create, revoke or list");
    }

    @Command(
        name = "create",
        mixinStandardHelpOptions = true,
        description = "Create a token for a principal and print its secret, once (the cluster keeps only its"
            + " SHA-256).")
    static final class Create implements Callable<Integer> {
      @Spec CommandSpec spec;
      @Mixin ClientOptions client;
      @Mixin TopicCommand.TopicTimeout timeout;

      @Option(names = "--principal", required = true, paramLabel = "NAME", description = "Principal the token"
          + " authenticates as.")
      String principal;

      @Option(names = "--name", paramLabel = "LABEL", defaultValue = "", description = "A label for people.")
      String name;

      @Option(names = "--json", description = "Print JSON (id, principal, name, secret).")
      boolean json;

      @Override
      public Integer call() {
        Validate.positive(spec, "--timeout-ms", timeout.ms);
        CreatedToken t = client.admin(timeout.ms, "creating a token for '" + principal + "'",
            admin -> admin.createToken(principal, name));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
          Map<String, Object> m = toJson(t.token());
          m.put("secret", t.secret());
          out.println(Json.write(m));
        } else {
          out.printf("created token %s for principal %s%n", t.token().id(), t.token().principal());
          out.println("secret (shown once; store it now): " + t.secret());
        }
        out.flush();
        return SluiceCli.EXIT_OK;
      }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token: every node refuses"
        + " it once it applied the revocation, and its open streams end.")
    static final class Revoke implements Callable<Integer> {
      @Spec CommandSpec spec;
      @Mixin ClientOptions client;
      @Mixin TopicCommand.TopicTimeout timeout;

      @Parameters(paramLabel = "ID", description = "Token id, e.g. tok-42 (see `sluice auth token list`).")
      String id;

      @Override
      public Integer call() {
        Validate.positive(spec, "--timeout-ms", timeout.ms);
        client.admin(timeout.ms, "revoking token '" + id + "'", admin -> admin.revokeToken(id));
        spec.commandLine().getOut().printf("revoked token %s%n", id);
        spec.commandLine().getOut().flush();
        return SluiceCli.EXIT_OK;
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (ids, principals,"
        + " creation times; never secrets).")
    static final class ListTokens extends ListCommand<AuthToken> {
      ListTokens() {
        super("listing tokens", Admin::listTokens, AuthCommand::toJson,
            () -> new Table("ID", "PRINCIPAL", "NAME", "CREATED"),
            t -> new Object[] {t.id(), t.principal(), t.name(), Instant.ofEpochMilli(t.createdTimeMs())});
      }
    }
  }

  static Map<String, Object> toJson(AuthToken t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", t.id());
    m.put("principal", t.principal());
    m.put("name", t.name());
    m.put("created_time_ms", t.createdTimeMs());
    return m;
  }
}
