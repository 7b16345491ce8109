package io.sluice.dist;

import io.sluice.node.NodeConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes the archive's {@code conf/node.properties}: every {@link NodeConfig} key, commented out,
 * with its documentation and default. Run by the build (exec-maven-plugin, process-classes), so a
 * key added to NodeConfig appears in the next archive without anyone editing this file.
 *
 * <p>Every line that sets a key is {@code #key=value}: deleting the {@code #} uses it.
 */
public final class ExampleConfig {

  /** Shown for keys without a default, so the reader sees the format. Illustrations only. */
  private static final Map<String, String> EXAMPLES = Map.of(
      NodeConfig.NODE_ID.name(), "n1",
      NodeConfig.DATA_DIR.name(), "/var/lib/sluice",
      NodeConfig.PEERS.name(), "n1=10.0.0.1:7170,n2=10.0.0.2:7170,n3=10.0.0.3:7170");

  private static final int WIDTH_MAX = 100;

  private ExampleConfig() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: ExampleConfig OUTPUT-FILE");
    }
    Path out = Path.of(args[0]);
    Files.createDirectories(out.toAbsolutePath().getParent());
    // UTF-8: NodeConfig.load reads the file through a UTF-8 reader.
    Files.writeString(out, render(NodeConfig.keys()), StandardCharsets.UTF_8);
  }

  /** The file's text. */
  static String render(List<NodeConfig.Key> keys) {
    StringBuilder sb = new StringBuilder();
    sb.append("# Sluice node configuration: every key, commented out, with its default.\n")
        .append("# Generated from NodeConfig when the archive was built.\n")
        .append("#\n")
        .append("#   bin/sluice server --config conf/node.properties\n")
        .append("#\n")
        .append("# Flags on the command line override this file (--set key=value sets any key).\n")
        .append("# Keys marked \"required\" have no default: set them. Unknown keys are an error.\n");
    for (NodeConfig.Key k : keys) {
      sb.append('\n');
      for (String line : wrap(k.doc() + (k.unit().isEmpty() ? "" : " (" + k.unit() + ")"))) {
        sb.append("# ").append(line).append('\n');
      }
      if (k.defaultValue() == null) {
        sb.append("# required, for example:\n");
        sb.append('#').append(k.name()).append('=').append(EXAMPLES.getOrDefault(k.name(), "")).append('\n');
      } else {
        sb.append('#').append(k.name()).append('=').append(k.defaultValue()).append('\n');
      }
    }
    return sb.toString();
  }

  private static List<String> wrap(String text) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > WIDTH_MAX - 2) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    lines.add(line.toString());
    return lines;
  }
}
