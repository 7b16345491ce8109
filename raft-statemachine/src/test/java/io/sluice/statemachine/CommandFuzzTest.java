package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzes what the state machine does with the bytes of a proposed command: parse
 * ({@code Command.parseFrom}, as {@code startTransaction} does), validate ({@link CommandValidator}),
 * and, for whatever validation accepts, apply ({@link LogCore#apply}). Inputs are arbitrary bytes
 * and byte-level mutations of the seed corpus in {@code src/test/resources/fuzz/command}.
 *
 * <p>Guarantees checked: parsing fails only with {@link InvalidProtocolBufferException}; validation
 * fails only with {@link CommandRejectedException} (with a message); and "validate before the log,
 * trust after it": a command validation accepts applies without throwing (an exception in apply
 * halts the node). Bounded by tries; jqwik prints the seed of a failure.
 */
class CommandFuzzTest {
  static final Path CORPUS = Paths.get("src/test/resources/fuzz/command");
  private static Path dir;
  private static LogCore core;
  private static long index;
  private static final CommandValidator VALIDATOR = new CommandValidator(new Limits(1 << 16, 1 << 16, 1 << 18, 64));

  @BeforeContainer
  static void open() throws IOException {
    dir = Files.createTempDirectory("command-fuzz");
    core = LogCore.open(dir.resolve("db"));
    CoreScript script = new CoreScript(core);
    script.run("create-topic t 2");
    script.run("create-topic u 1 retention.ms=1000");
    script.run("append t/0:3 t/1:2");
    index = core.applied().index();
  }

  @AfterContainer
  static void close() throws IOException {
    core.close();
    FileTrees.deleteRecursively(dir);
  }

  /** Parse, validate, apply if valid; returns whether it was applied. */
  static synchronized boolean propose(byte[] bytes) {
    Command command;
    try {
      command = Command.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return false;
    }
    try {
      VALIDATOR.validate(command, bytes.length, core);
    } catch (CommandRejectedException e) {
      assertTrue(e.getMessage() != null && e.getMessage().length() > 5, "rejection without a message");
      return false;
    }
    try {
      CommandResult result = core.apply(1, ++index, command);
      assertFalse(result.getKindCase() == CommandResult.KindCase.KIND_NOT_SET, "apply returned no result");
    } catch (RuntimeException e) {
      throw new AssertionError("a validated command failed to apply: " + command, e);
    }
    return true;
  }

  @Property(tries = 3000)
  void arbitraryBytesAreRefusedOrApplied(@ForAll @Size(max = 300) byte[] bytes) {
    Statistics.label("outcome").collect(propose(bytes) ? "applied" : "refused");
  }

  @Property(tries = 3000)
  void mutatedCorpusCommandsAreRefusedOrApplied(@ForAll("mutants") byte[] bytes) {
    Statistics.label("outcome").collect(propose(bytes) ? "applied" : "refused");
  }

  @Property(tries = 1000)
  void topicConfigsAreRefusedWithAReasonOrReadable(
      @ForAll("configKeys") String key, @ForAll("configValues") String value) {
    try {
      TopicConfigs.validate(Map.of(key, value), List.of());
    } catch (CommandRejectedException e) {
      return;
    }
    // Accepted values must read back: retention reads them on every pass.
    io.sluice.internal.v1.TopicState topic = io.sluice.internal.v1.TopicState.newBuilder()
        .setName("t").putConfigs(key, value).build();
    for (TopicConfigs.Key k : TopicConfigs.keys()) {
      TopicConfigs.get(topic, k);
    }
    TopicConfigs.effective(topic);
  }

  @Example
  void everyCorpusEntryIsRefusedOrApplied() {
    List<byte[]> corpus = corpus();
    assertFalse(corpus.isEmpty(), "no seed corpus in " + CORPUS.toAbsolutePath());
    for (byte[] entry : corpus) {
      propose(entry);
    }
  }

  @Provide
  Arbitrary<String> configKeys() {
    return Arbitraries.oneOf(Arbitraries.of(TopicConfigs.keys().stream().map(TopicConfigs.Key::name).toList()),
        Arbitraries.strings().ofMaxLength(20));
  }

  @Provide
  Arbitrary<String> configValues() {
    return Arbitraries.oneOf(Arbitraries.longs().map(String::valueOf),
        Arbitraries.longs().map(v -> " " + v + "\t"),
        Arbitraries.strings().ofMaxLength(25),
        Arbitraries.strings().withChars("0123456789-+ \u0660\u0661\uff11").ofMaxLength(25));
  }

  @Provide
  Arbitrary<byte[]> mutants() {
    Arbitrary<byte[]> seeds = Arbitraries.of(corpus());
    Arbitrary<int[]> edits = Arbitraries.integers().array(int[].class).ofMinSize(1).ofMaxSize(4);
    return Combinators.combine(seeds, edits).as(CommandFuzzTest::mutate);
  }

  private static byte[] mutate(byte[] in, int[] edits) {
    List<Byte> out = new ArrayList<>();
    for (byte x : in) {
      out.add(x);
    }
    for (int edit : edits) {
      int pos = out.isEmpty() ? 0 : Math.floorMod(edit >>> 3, out.size());
      byte value = (byte) (edit >>> 11);
      switch (Math.floorMod(edit, 4)) {
        case 0 -> { if (!out.isEmpty()) out.set(pos, (byte) (out.get(pos) ^ (1 << ((edit >>> 19) & 7)))); }
        case 1 -> out.add(pos, value);
        case 2 -> { if (!out.isEmpty()) out.remove(pos); }
        default -> { if (!out.isEmpty()) out.set(pos, value); }
      }
    }
    byte[] r = new byte[out.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = out.get(i);
    }
    return r;
  }

  static List<byte[]> corpus() {
    if (Boolean.getBoolean("sluice.fuzz.corpus.rewrite")) {
      writeSeeds();
    }
    try (Stream<Path> files = Files.list(CORPUS)) {
      List<byte[]> out = new ArrayList<>();
      for (Path p : files.filter(p -> p.toString().endsWith(".bin")).sorted().toList()) {
        out.add(Files.readAllBytes(p));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One valid command of each kind (-Dsluice.fuzz.corpus.rewrite=true). */
  private static void writeSeeds() {
    String[] lines = {
        "create-topic v 3 retention.ms=60000 retention.bytes=-1",
        "alter-topic t retention.bytes=1000 -retention.ms",
        "delete-topic u",
        "init-producer",
        "expire-producers 1000",
        "append t/0:2 t/1:1",
        "append-idem 5 0 t/0:2@0",
        "register n1 127.0.0.1:7070",
    };
    try {
      Files.createDirectories(CORPUS);
      for (int i = 0; i < lines.length; i++) {
        String name = String.format("seed-%02d-%s.bin", i, lines[i].split(" ")[0]);
        Files.write(CORPUS.resolve(name), CoreScript.command(lines[i], 1000L * (i + 1)).toByteArray());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
