package io.sluice.node.cli;

import io.sluice.client.Acl;
import io.sluice.client.Admin;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code sluice acl add|remove|list} (cluster admin only). */
@Command(
    name = "acl",
    mixinStandardHelpOptions = true,
    description = "Manage ACLs: who may do what on which topic, group or the cluster (cluster admin only).",
    subcommands = {AclCommand.Add.class, AclCommand.Remove.class, AclCommand.ListAcls.class})
final class AclCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: add, remove or list");
  }

  /** The rule an add or remove names. */
  static final class RuleOptions {
    @Option(names = "--principal", required = true, paramLabel = "NAME",
        description = "Principal name, or * for every authenticated principal.")
    String principal;

    @Option(names = "--operation", required = true, paramLabel = "OP",
        description = "produce, consume, describe, alter (topics); read, describe, delete (groups); admin (cluster).")
    String operation;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Resource resource;

    static final class Resource {
      @Option(names = "--topic", paramLabel = "NAME", description = "One topic.")
      String topic;

      @Option(names = "--topic-prefix", paramLabel = "PREFIX", description = "Every topic starting with PREFIX.")
      String topicPrefix;

      @Option(names = "--group", paramLabel = "ID", description = "One consumer group.")
      String group;

      @Option(names = "--group-prefix", paramLabel = "PREFIX", description = "Every group starting with PREFIX.")
      String groupPrefix;

      @Option(names = "--cluster", description = "The cluster (operation admin).")
      boolean cluster;
    }

    Acl toAcl(CommandSpec spec) {
      Acl.Operation op;
      try {
        op = Acl.Operation.valueOf(operation.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--operation must be one of produce, consume, describe,"
            + " alter, read, delete, admin; got '" + operation + "'");
      }
      if (resource.topic != null) {
        return new Acl(principal, Acl.ResourceType.TOPIC, resource.topic, op);
      } else if (resource.topicPrefix != null) {
        return new Acl(principal, Acl.ResourceType.TOPIC_PREFIX, resource.topicPrefix, op);
      } else if (resource.group != null) {
        return new Acl(principal, Acl.ResourceType.GROUP, resource.group, op);
      } else if (resource.groupPrefix != null) {
        return new Acl(principal, Acl.ResourceType.GROUP_PREFIX, resource.groupPrefix, op);
      }
      return new Acl(principal, Acl.ResourceType.CLUSTER, "", op);
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Allow a principal an operation on a"
      + " resource, e.g. `sluice acl add --principal alice --operation produce --topic orders`.")
  static final class Add implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;
    @ArgGroup(exclusive = false, multiplicity = "1") RuleOptions rule;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      Acl acl = rule.toAcl(spec);
      client.admin(timeout.ms, "adding ACL '" + acl + "'", admin -> admin.addAcl(acl));
      spec.commandLine().getOut().printf("added ACL: %s%n", acl);
      spec.commandLine().getOut().flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove an ACL (same options as add).")
  static final class Remove implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;
    @ArgGroup(exclusive = false, multiplicity = "1") RuleOptions rule;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      Acl acl = rule.toAcl(spec);
      boolean removed = client.admin(timeout.ms, "removing ACL '" + acl + "'", admin -> admin.removeAcl(acl));
      if (!removed) {
        throw new CliException("no such ACL: " + acl);
      }
      spec.commandLine().getOut().printf("removed ACL: %s%n", acl);
      spec.commandLine().getOut().flush();
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List every ACL.")
  static final class ListAcls extends ListCommand<Acl> {
    ListAcls() {
      super("listing ACLs", Admin::listAcls, ListAcls::toJson,
          () -> new Table("PRINCIPAL", "RESOURCE", "NAME", "OPERATION"),
          a -> new Object[] {a.principal(), a.resourceType().name().toLowerCase(Locale.ROOT).replace('_', '-'),
              a.resourceName().isEmpty() ? "-" : a.resourceName(), a.operation().name().toLowerCase(Locale.ROOT)});
    }

    private static Map<String, Object> toJson(Acl a) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("principal", a.principal());
      m.put("resource_type", a.resourceType().name().toLowerCase(Locale.ROOT));
      m.put("resource_name", a.resourceName());
      m.put("operation", a.operation().name().toLowerCase(Locale.ROOT));
      return m;
    }
  }
}
