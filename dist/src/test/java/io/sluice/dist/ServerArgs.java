package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.node.NodeConfig;
import io.sluice.node.cli.ServerCommand;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A {@code sluice server ...} command line taken from a deployment file, checked the way the node
 * would check it: every flag must be one {@link ServerCommand} has, and the resulting
 * configuration must pass {@link NodeConfig#of} (node id among the peers, raft.listen equal to
 * this node's peers entry, addresses that parse).
 */
final class ServerArgs {

  /** Each server flag and the configuration key it sets (ServerCommand's option descriptions). */
  private static final Map<String, String> FLAG_KEYS = Map.of(
      "--id", "node.id",
      "--cluster-id", "cluster.id",
      "--data-dir", "data.dir",
      "--listen", "listen",
      "--advertised-listen", "advertised.listen",
      "--raft-listen", "raft.listen",
      "--peers", "peers",
      "--http-listen", "http.listen");

  private final Map<String, String> flags;
  private final Map<String, String> settings;

  private ServerArgs(Map<String, String> flags, Map<String, String> settings) {
    this.flags = flags;
    this.settings = settings;
  }

  /** Parses {@code server --flag=value ...} (or {@code --flag value}); fails the test on anything else. */
  static ServerArgs parse(List<String> commandLine) {
    assertTrue(!commandLine.isEmpty() && commandLine.get(0).equals("server"),
        "the command must start with 'server': " + commandLine);
    CommandSpec spec = CommandSpec.forAnnotatedObject(new ServerCommand());
    Map<String, String> flags = new LinkedHashMap<>();
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 1; i < commandLine.size(); i++) {
      String arg = commandLine.get(i);
      if (!arg.startsWith("--")) {
        fail("expected a --flag, got '" + arg + "' in " + commandLine);
      }
      int eq = arg.indexOf('=');
      String flag = eq < 0 ? arg : arg.substring(0, eq);
      String value = eq < 0 ? commandLine.get(++i) : arg.substring(eq + 1);
      if (spec.findOption(flag) == null) {
        fail("'sluice server' has no option " + flag + " (used in " + commandLine + ")");
      }
      if (flag.equals("--set")) {
        int kv = value.indexOf('=');
        assertTrue(kv > 0, "--set wants KEY=VALUE, got " + value);
        settings.put(value.substring(0, kv), value.substring(kv + 1));
      } else {
        assertTrue(FLAG_KEYS.containsKey(flag), "no configuration key known for " + flag);
        assertEquals(null, flags.put(flag, value), flag + " given twice in " + commandLine);
      }
    }
    return new ServerArgs(flags, settings);
  }

  String get(String flag) {
    String value = flags.get(flag);
    assertTrue(value != null, "missing " + flag + " in " + flags);
    return value;
  }

  /** The peers list, id to host:port, in order. */
  Map<String, String> peers() {
    Map<String, String> peers = new LinkedHashMap<>();
    for (String entry : get("--peers").split(",")) {
      String[] idAddress = entry.split("=", 2);
      assertEquals(2, idAddress.length, "peers entry " + entry);
      peers.put(idAddress[0], idAddress[1]);
    }
    return peers;
  }

  static int port(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }

  /** The node's configuration from these flags, validated by NodeConfig. */
  NodeConfig config() {
    Map<String, String> values = new LinkedHashMap<>(settings);
    flags.forEach((flag, value) -> values.put(FLAG_KEYS.get(flag), value));
    return NodeConfig.of(values);
  }
}
