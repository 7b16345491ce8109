package io.sluice.node.cli;

import io.sluice.client.Admin;
import io.sluice.client.ConsumerGroupDescription;
import io.sluice.client.ConsumerGroupListing;
import io.sluice.client.OffsetResetPolicy;
import io.sluice.client.TopicPartition;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice group list|describe|reset-offsets|delete}. */
@Command(
    name = "group",
    mixinStandardHelpOptions = true,
    description = "List, describe, reset and delete consumer groups.",
    subcommands = {
      GroupCommand.ListGroups.class,
      GroupCommand.DescribeGroup.class,
      GroupCommand.ResetOffsets.class,
      GroupCommand.DeleteGroup.class
    })
final class GroupCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing subcommand: list, describe, reset-offsets or delete");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List consumer groups.")
  static final class ListGroups extends ListCommand<ConsumerGroupListing> {
    ListGroups() {
      super("listing groups", Admin::listGroups, ListGroups::toJson,
          () -> new Table("GROUP", "STATE", "GENERATION", "MEMBERS"),
          g -> new Object[] {g.groupId(), g.state(), g.generation(), g.members()});
    }

    private static Map<String, Object> toJson(ConsumerGroupListing g) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("group", g.groupId());
      o.put("state", g.state());
      o.put("generation", g.generation());
      o.put("members", g.members());
      return o;
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = {
        "Show a group's members and, per partition, the committed offset, end offset, lag and owner.",
        "Served from the answering node's applied state (a follower may lag by a few entries)."
      })
  static final class DescribeGroup implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;

    @Parameters(paramLabel = "GROUP", description = "Group id.")
    String group;

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      ConsumerGroupDescription d = client.admin(timeout.ms, "describing group '" + group + "'",
          admin -> admin.describeGroup(group));
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(toJson(d)));
        out.flush();
        return SluiceCli.EXIT_OK;
      }
      out.printf("group %s: %s, generation %d, strategy %s, %d member%s%n", d.groupId(), d.state(), d.generation(),
          d.assignmentStrategy(), d.members().size(), d.members().size() == 1 ? "" : "s");
      if (!d.members().isEmpty()) {
        out.println();
        Table members = new Table("MEMBER", "CLIENT", "TOPICS", "PARTITIONS");
        for (ConsumerGroupDescription.Member m : d.members()) {
          members.row(m.memberId(), m.clientId(), String.join(",", m.topics()), names(m.assignment()));
        }
        members.print(out);
      }
      out.println();
      Table offsets = new Table("TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER");
      for (ConsumerGroupDescription.PartitionOffset o : d.offsets()) {
        offsets.row(o.partition().topic(), o.partition().partition(),
            o.committedOffset() < 0 ? "-" : o.committedOffset(), o.endOffset(), o.lag(),
            o.memberId().isEmpty() ? "-" : o.memberId());
      }
      offsets.print(out);
      return SluiceCli.EXIT_OK;
    }

    private static String names(List<TopicPartition> tps) {
      List<String> out = new ArrayList<>();
      tps.forEach(tp -> out.add(tp.topic() + "-" + tp.partition()));
      return out.isEmpty() ? "-" : String.join(",", out);
    }

    private static Map<String, Object> toJson(ConsumerGroupDescription d) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("group", d.groupId());
      o.put("state", d.state());
      o.put("generation", d.generation());
      o.put("strategy", d.assignmentStrategy());
      List<Object> members = new ArrayList<>();
      for (ConsumerGroupDescription.Member m : d.members()) {
        Map<String, Object> mo = new LinkedHashMap<>();
        mo.put("member", m.memberId());
        mo.put("client", m.clientId());
        mo.put("topics", new ArrayList<Object>(m.topics()));
        List<Object> parts = new ArrayList<>();
        m.assignment().forEach(tp -> parts.add(tp.topic() + "-" + tp.partition()));
        mo.put("partitions", parts);
        members.add(mo);
      }
      o.put("members", members);
      List<Object> offsets = new ArrayList<>();
      for (ConsumerGroupDescription.PartitionOffset p : d.offsets()) {
        Map<String, Object> po = new LinkedHashMap<>();
        po.put("topic", p.partition().topic());
        po.put("partition", p.partition().partition());
        po.put("committed", p.committedOffset());
        po.put("end", p.endOffset());
        po.put("lag", p.lag());
        po.put("member", p.memberId());
        offsets.add(po);
      }
      o.put("offsets", offsets);
      return o;
    }
  }

  @Command(
      name = "reset-offsets",
      mixinStandardHelpOptions = true,
      description = {
        "Set a group's committed offset of every partition of a topic. Only while the group has no members",
        "(stop its consumers first). Goes through Raft on the leader."
      })
  static final class ResetOffsets implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;

    @Parameters(paramLabel = "GROUP", description = "Group id.")
    String group;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic whose partitions to reset.")
    String topic;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
      @Option(names = "--to-earliest", required = true, description = "Each partition's log start offset.")
      boolean earliest;

      @Option(names = "--to-latest", required = true, description = "Each partition's end offset.")
      boolean latest;

      @Option(names = "--to-offset", required = true, paramLabel = "N",
          description = "This offset, clamped into each partition's [log start, end].")
      Long offset;
    }

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      if (target.offset != null) {
        Validate.notNegative(spec, "--to-offset", target.offset);
      }
      Map<TopicPartition, Long> offsets = client.admin(timeout.ms, "resetting offsets of group '" + group + "'",
          admin -> target.offset != null ? admin.resetOffsets(group, topic, target.offset)
              : admin.resetOffsets(group, topic, target.earliest ? OffsetResetPolicy.EARLIEST : OffsetResetPolicy.LATEST));
      PrintWriter out = spec.commandLine().getOut();
      Table table = new Table("TOPIC", "PARTITION", "COMMITTED");
      offsets.forEach((tp, o) -> table.row(tp.topic(), tp.partition(), o));
      table.print(out);
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete a group and its committed offsets. Only while it has no members.")
  static final class DeleteGroup implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;
    @Mixin TopicCommand.TopicTimeout timeout;

    @Parameters(paramLabel = "GROUP", description = "Group id.")
    String group;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      client.admin(timeout.ms, "deleting group '" + group + "'", admin -> admin.deleteGroup(group));
      spec.commandLine().getOut().printf("deleted group %s%n", group);
      return SluiceCli.EXIT_OK;
    }
  }
}
