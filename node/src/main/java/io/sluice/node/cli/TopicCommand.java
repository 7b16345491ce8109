package io.sluice.node.cli;

import io.sluice.client.Admin;
import io.sluice.client.PartitionInfo;
import io.sluice.client.TopicInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
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

/** {@code sluice topic create|list|describe|delete}. */
@Command(
    name = "topic",
    mixinStandardHelpOptions = true,
    description = "Create, list, describe, alter and delete topics.",
    subcommands = {
      TopicCommand.CreateTopic.class,
      TopicCommand.ListTopics.class,
      TopicCommand.DescribeTopic.class,
      TopicCommand.DeleteTopic.class,
      TopicCommand.AlterTopic.class
    })
final class TopicCommand implements Callable<Integer> {


  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(), "missing subcommand: create, list, describe, alter or delete");
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a topic. Goes through Raft on the leader.")
  static final class CreateTopic implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME", description = "Topic name: 1 to 249 of [a-zA-Z0-9._-].")
    String name;

    @Option(
        names = "--partitions",
        paramLabel = "N",
        defaultValue = "1",
        description = "Number of partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
        names = "--config",
        paramLabel = "KEY=VALUE",
        description = "A topic configuration override, e.g. retention.ms=86400000 (repeatable).")
    Map<String, String> configs = new LinkedHashMap<>();

    @Mixin TopicTimeout timeout;

    @Override
    public Integer call() {
      Validate.positive(spec, "--partitions", partitions);
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      TopicInfo topic = client.admin(timeout.ms, "creating topic '" + name + "'",
          admin -> admin.createTopic(name, partitions, configs));
      int count = topic.partitions().size();
      spec.commandLine().getOut()
          .printf("created topic %s with %d partition%s%n", topic.name(), count, count == 1 ? "" : "s");
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List topics with their partition count and stored records.")
  static final class ListTopics extends ListCommand<TopicInfo> {
    ListTopics() {
      super("listing topics", Admin::listTopics, TopicCommand::toJson,
          () -> new Table("TOPIC", "PARTITIONS", "RECORDS", "CREATED"),
          topic -> new Object[] {topic.name(), topic.partitions().size(), storedRecords(topic),
              Instant.ofEpochMilli(topic.createdTimeMs())});
    }
  }

  @Command(
      name = "describe",
      mixinStandardHelpOptions = true,
      description = "Show a topic's partitions with their offsets and batch counts.")
  static final class DescribeTopic implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME", description = "Topic name.")
    String name;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Mixin TopicTimeout timeout;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      TopicInfo topic;
      topic = client.admin(timeout.ms, "describing topic '" + name + "'", admin -> admin.describeTopic(name));
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(Json.write(toJson(topic)));
        out.flush();
        return SluiceCli.EXIT_OK;
      }
      out.printf(
          "topic %s  id %d  partitions %d  created %s%n",
          topic.name(),
          topic.topicId(),
          topic.partitions().size(),
          Instant.ofEpochMilli(topic.createdTimeMs()));
      topic.configs().forEach((key, value) -> out.printf("  %s=%s%n", key, value));
      Table table = new Table("PARTITION", "LOG-START-OFFSET", "END-OFFSET", "BATCHES", "BYTES");
      for (PartitionInfo partition : topic.partitions()) {
        table.row(
            partition.partition(),
            partition.logStartOffset(),
            partition.endOffset(),
            partition.batchCount(),
            partition.sizeBytes());
      }
      table.print(out);
      return SluiceCli.EXIT_OK;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete a topic and all its records. Goes through Raft on the leader.")
  static final class DeleteTopic implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME", description = "Topic name.")
    String name;

    @Mixin TopicTimeout timeout;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      client.admin(timeout.ms, "deleting topic '" + name + "'", admin -> admin.deleteTopic(name));
      spec.commandLine().getOut().printf("deleted topic %s%n", name);
      return SluiceCli.EXIT_OK;
    }
  }

  /** Records still stored: the sum over partitions of end offset minus log start offset. */
  static long storedRecords(TopicInfo topic) {
    long records = 0;
    for (PartitionInfo partition : topic.partitions()) {
      records += partition.endOffset() - partition.logStartOffset();
    }
    return records;
  }

  static Map<String, Object> toJson(TopicInfo topic) {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("name", topic.name());
    object.put("topicId", topic.topicId());
    object.put("createdTimeMs", topic.createdTimeMs());
    List<Object> partitions = new ArrayList<>();
    for (PartitionInfo partition : topic.partitions()) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("partition", partition.partition());
      p.put("logStartOffset", partition.logStartOffset());
      p.put("endOffset", partition.endOffset());
      p.put("batchCount", partition.batchCount());
      p.put("sizeBytes", partition.sizeBytes());
      partitions.add(p);
    }
    object.put("partitions", partitions);
    object.put("configs", new java.util.TreeMap<>(topic.configs()));
    return object;
  }

  @Command(
      name = "alter",
      mixinStandardHelpOptions = true,
      description = "Change a topic's configuration (e.g. retention). Goes through Raft on the leader.")
  static final class AlterTopic implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client;

    @Parameters(paramLabel = "NAME", description = "Topic name.")
    String name;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a key (repeatable).")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--delete-config", paramLabel = "KEY", description = "Return a key to its default (repeatable).")
    List<String> reset = new ArrayList<>();

    @Mixin TopicTimeout timeout;

    @Override
    public Integer call() {
      Validate.positive(spec, "--timeout-ms", timeout.ms);
      if (set.isEmpty() && reset.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "nothing to change: give --config or --delete-config");
      }
      TopicInfo topic;
      topic = client.admin(timeout.ms, "altering topic '" + name + "'",
          admin -> admin.alterTopicConfig(name, set, reset));
      PrintWriter out = spec.commandLine().getOut();
      out.printf("altered topic %s%n", topic.name());
      topic.configs().forEach((key, value) -> out.printf("  %s=%s%n", key, value));
      out.flush();
      return SluiceCli.EXIT_OK;
    }
  }

  /** The --timeout-ms option every topic subcommand shares. */
  static final class TopicTimeout {
    @Option(
        names = "--timeout-ms",
        paramLabel = "MS",
        defaultValue = "10000",
        description =
      "How long to wait for the cluster, in milliseconds (default: ${DEFAULT-VALUE}).")
    long ms;
  }
}
