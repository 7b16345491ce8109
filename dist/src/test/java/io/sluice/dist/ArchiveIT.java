package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.node.NodeConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive as a user gets it: unpacked with tar into an empty directory, then run
 * from there (and through a symlink) with nothing of the source tree on the path. Includes one
 * node started from the shipped example configuration, written to and read from, then stopped
 * with SIGTERM as systemd, Docker and Kubernetes stop it.
 */
class ArchiveIT {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  private static Path home;
  private static String version;

  @BeforeAll
  static void unpack() throws Exception {
    version = System.getProperty("sluice.version");
    Path archive = Path.of(System.getProperty("sluice.archive"));
    assertTrue(archive.getFileName().toString().equals("sluice-" + version + ".tar.gz"), archive.toString());
    assertTrue(Files.isRegularFile(archive), archive + " was not built");
    Path unpacked = Files.createDirectory(dir.resolve("unpacked"));
    Result untar = run(dir, List.of("tar", "-xzf", archive.toAbsolutePath().toString(), "-C", unpacked.toString()), null);
    assertEquals(0, untar.exit, untar.err);
    try (Stream<Path> top = Files.list(unpacked)) {
      assertEquals(List.of("sluice-" + version), top.map(p -> p.getFileName().toString()).toList(),
          "one top directory");
    }
    home = unpacked.resolve("sluice-" + version);
  }

  @Test
  void layoutIsBinLibConf() throws IOException {
    assertTrue(Files.isExecutable(home.resolve("bin/sluice")));
    assertTrue(Files.isRegularFile(home.resolve("conf/node.properties")));
    assertTrue(Files.isRegularFile(home.resolve("conf/sluice.service")));
    assertEquals(Files.readString(SystemdUnitTest.UNIT), Files.readString(home.resolve("conf/sluice.service")));
    try (Stream<Path> entries = Files.list(home)) {
      assertEquals(Set.of("bin", "lib", "conf"),
          entries.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    }
    // lib/ is what the node module runs with (node/target/lib) plus the node jar: the dist
    // module's test libraries must not change a runtime version.
    Path nodeLibDir = Path.of("..", "node", "target", "lib");
    assertTrue(Files.isDirectory(nodeLibDir), nodeLibDir + " is missing: package the node module in the same build");
    Set<String> expected;
    try (Stream<Path> nodeLib = Files.list(nodeLibDir)) {
      expected = nodeLib.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(HashSet::new));
    }
    expected.add("sluice-node-" + version + ".jar");
    try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
      assertEquals(expected, lib.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    }
  }

  @Test
  void launcherRunsFromTheUnpackedArchiveAndThroughASymlink() throws Exception {
    Result v = sluice(dir, "--version");
    assertEquals(0, v.exit, v.err);
    assertEquals("sluice " + version, v.out.strip());

    Result help = sluice(dir, "server", "--help");
    assertEquals(0, help.exit, help.err);
    assertTrue(help.out.contains("--config"), help.out);

    Path link = Files.createDirectories(dir.resolve("usr-local-bin")).resolve("sluice");
    Files.createSymbolicLink(link, home.resolve("bin/sluice"));
    Result viaLink = run(dir, List.of(link.toString(), "--version"), null);
    assertEquals(0, viaLink.exit, viaLink.err);
    assertEquals("sluice " + version, viaLink.out.strip());
  }

  private static final Pattern SETTING = Pattern.compile("^#([a-z][a-z0-9.]*)=(.*)$");

  /** Each key once, commented out, with its default; nothing else set. Generated, so it cannot drift. */
  @Test
  void exampleConfigurationHasEveryKeyWithItsDefault() throws IOException {
    Map<String, String> commented = new LinkedHashMap<>();
    for (String line : Files.readAllLines(home.resolve("conf/node.properties"))) {
      assertTrue(line.isEmpty() || line.startsWith("#"), "only comments: " + line);
      Matcher m = SETTING.matcher(line);
      if (m.matches()) {
        assertEquals(null, commented.put(m.group(1), m.group(2)), m.group(1) + " twice");
      }
    }
    List<String> keys = NodeConfig.keys().stream().map(NodeConfig.Key::name).toList();
    assertEquals(keys, List.copyOf(commented.keySet()));
    for (NodeConfig.Key k : NodeConfig.keys()) {
      if (k.defaultValue() != null) {
        assertEquals(k.defaultValue(), commented.get(k.name()), k.name());
      }
    }
  }

  /**
   * One node from the example file with its required keys filled in and every address moved to a
   * free 6xxxx port on loopback; then topic create, produce, consume and SIGTERM.
   */
  @Test
  void nodeStartsFromTheExampleConfigurationServesAndStopsOnSigterm() throws Exception {
    Map<String, Integer> ports = new LinkedHashMap<>();
    StringBuilder settings = new StringBuilder("\n# set by ArchiveIT\n");
    for (NodeConfig.Key k : NodeConfig.keys()) {
      if (k.unit().equals("host:port") && k.defaultValue() != null && !k.defaultValue().isEmpty()) {
        int port = freePort(ports.values());
        ports.put(k.name(), port);
        settings.append(k.name()).append("=127.0.0.1:").append(port).append('\n');
      }
    }
    settings.append("node.id=n1\n")
        .append("data.dir=").append(dir.resolve("data")).append('\n')
        .append("peers=n1=127.0.0.1:").append(ports.get("raft.listen")).append('\n');
    Path config = dir.resolve("node.properties");
    Files.writeString(config, Files.readString(home.resolve("conf/node.properties")) + settings);
    String bootstrap = "127.0.0.1:" + ports.get("listen");

    Path out = dir.resolve("server.out");
    Path err = dir.resolve("server.err");
    Process server = new ProcessBuilder(home.resolve("bin/sluice").toString(), "server", "--config", config.toString())
        .directory(dir.toFile())
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    try {
      awaitLine(server, out, "sluice node n1 ready", err);
      Result create = retry(() -> sluice(dir, "topic", "create", "smoke", "--partitions", "1", "--bootstrap", bootstrap));
      assertEquals(0, create.exit, create.err);
      Result produce = run(dir, List.of(home.resolve("bin/sluice").toString(), "produce", "--topic", "smoke",
          "--bootstrap", bootstrap), "hello from the archive\n");
      assertEquals(0, produce.exit, produce.err);
      Result consume = sluice(dir, "consume", "--topic", "smoke", "--from-beginning", "--max-records", "1",
          "--bootstrap", bootstrap);
      assertEquals(0, consume.exit, consume.err);
      assertEquals("hello from the archive", consume.out.strip());
    } finally {
      server.destroy(); // SIGTERM
      if (!server.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        server.destroyForcibly();
        fail("the node did not stop within " + COMMAND_TIMEOUT + " of SIGTERM");
      }
    }
    // The JVM reports a SIGTERM stop as 128 + 15 even after a clean shutdown; the systemd unit
    // counts 143 as success (SuccessExitStatus=143).
    assertEquals(143, server.exitValue(), Files.readString(err));
    assertTrue(Files.readString(err).contains("shutting down"), Files.readString(err));
  }

  private interface Command {
    Result run() throws Exception;
  }

  /** Client commands fail while the single node elects itself; retry those for a while. */
  private static Result retry(Command command) throws Exception {
    Instant deadline = Instant.now().plus(COMMAND_TIMEOUT);
    Result last = command.run();
    while (last.exit != 0 && Instant.now().isBefore(deadline)) {
      Thread.sleep(500);
      last = command.run();
    }
    return last;
  }

  private static void awaitLine(Process process, Path out, String text, Path err) throws Exception {
    Instant deadline = Instant.now().plus(COMMAND_TIMEOUT);
    while (Instant.now().isBefore(deadline)) {
      if (Files.readString(out).contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        fail("the node exited with " + process.exitValue() + ": " + Files.readString(err));
      }
      Thread.sleep(200);
    }
    fail("no '" + text + "' within " + COMMAND_TIMEOUT + ": " + Files.readString(err));
  }

  /** A port in 60000-64999 that is free on loopback now (the range this machine's tests may use). */
  private static int freePort(java.util.Collection<Integer> taken) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(60000, 65000);
      if (taken.contains(port)) {
        continue;
      }
      try (ServerSocket socket = new ServerSocket()) {
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        return port;
      } catch (IOException busy) {
        // try another
      }
    }
    throw new IOException("no free port in 60000-64999");
  }

  private record Result(int exit, String out, String err) {}

  private static Result sluice(Path cwd, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/sluice").toString());
    command.addAll(List.of(args));
    return run(cwd, command, null);
  }

  private static Result run(Path cwd, List<String> command, String stdin) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    // Only what a user's shell would have: no repository path, no build's JVM options.
    pb.environment().remove("SLUICE_HOME");
    pb.environment().remove("SLUICE_JAVA_OPTS");
    Process p = pb.start();
    try (var in = p.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(command + " did not finish within " + COMMAND_TIMEOUT);
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
