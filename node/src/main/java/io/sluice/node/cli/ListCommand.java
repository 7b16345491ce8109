package io.sluice.node.cli;

import io.sluice.client.Admin;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A {@code list} subcommand: asks the cluster for a list through {@link Admin} and prints it as a
 * table with one row per item, or with {@code --json} as a JSON array with one object per item.
 * Subclasses carry the {@code @Command} annotation and pass what differs to the constructor;
 * picocli finds the options declared here through the subclass.
 */
abstract class ListCommand<T> implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client;
  @Mixin TopicCommand.TopicTimeout timeout;

  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  private final String what;
  private final Function<Admin, CompletableFuture<List<T>>> list;
  private final Function<T, Map<String, Object>> toJson;
  private final Supplier<Table> table;
  private final Function<T, Object[]> row;

  /**
   * @param what what the request does, for error messages (e.g. "listing topics")
   * @param table a new empty table (headers only) that {@code row} fills
   * @param row the cells of an item's row, one per column of the table
   */
  ListCommand(String what, Function<Admin, CompletableFuture<List<T>>> list, Function<T, Map<String, Object>> toJson,
      Supplier<Table> table, Function<T, Object[]> row) {
    this.what = what;
    this.list = list;
    this.toJson = toJson;
    this.table = table;
    this.row = row;
  }

  @Override
  public Integer call() {
    Validate.positive(spec, "--timeout-ms", timeout.ms);
    List<T> items = client.admin(timeout.ms, what, list);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      List<Object> array = new ArrayList<>(items.size());
      items.forEach(item -> array.add(toJson.apply(item)));
      out.println(Json.write(array));
    } else {
      Table t = table.get();
      items.forEach(item -> t.row(row.apply(item)));
      t.print(out);
    }
    out.flush();
    return SluiceCli.EXIT_OK;
  }
}
