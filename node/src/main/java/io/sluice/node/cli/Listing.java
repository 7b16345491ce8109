package io.sluice.node.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The output of a {@code list} subcommand: a table with one row per item, or with {@code --json} a
 * JSON array with one object per item.
 */
final class Listing {
  private Listing() {}

  /**
   * Prints {@code items} to {@code out} and returns {@link SluiceCli#EXIT_OK}.
   *
   * @param table the empty table (headers only) that {@code row} fills
   * @param row the cells of an item's row, one per column of {@code table}
   */
  static <T> int print(PrintWriter out, boolean json, List<T> items, Function<T, Map<String, Object>> toJson,
      Table table, Function<T, Object[]> row) {
    if (json) {
      List<Object> list = new ArrayList<>(items.size());
      items.forEach(item -> list.add(toJson.apply(item)));
      out.println(Json.write(list));
    } else {
      items.forEach(item -> table.row(row.apply(item)));
      table.print(out);
    }
    out.flush();
    return SluiceCli.EXIT_OK;
  }
}
