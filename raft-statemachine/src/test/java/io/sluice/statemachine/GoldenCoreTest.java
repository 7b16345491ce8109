package io.sluice.statemachine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden-file tests of the deterministic core: each file under src/test/resources/testdata holds
 * commands, each followed by {@code ----} and the expected output, then a blank line.
 * Regenerate after an intended change with {@code -Dsluice.golden.rewrite=true} and review the diff.
 */
class GoldenCoreTest {
  private static final Path DIR = Path.of("src/test/resources/testdata");
  private static final boolean REWRITE = Boolean.getBoolean("sluice.golden.rewrite");

  @TempDir
  Path tmp;

  @TestFactory
  Stream<DynamicTest> scripts() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runFile(f)));
  }

  private void runFile(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    StringBuilder actual = new StringBuilder();
    StringBuilder expected = new StringBuilder();
    try (LogCore core = LogCore.open(tmp.resolve(file.getFileName().toString()))) {
      CoreScript script = new CoreScript(core);
      int i = 0;
      while (i < lines.size()) {
        String line = lines.get(i);
        if (line.isBlank() || line.startsWith("#")) {
          actual.append(line).append('\n');
          expected.append(line).append('\n');
          i++;
          continue;
        }
        actual.append(line).append("\n----\n").append(script.run(line)).append('\n');
        expected.append(line).append('\n');
        i++;
        if (i < lines.size() && lines.get(i).equals("----")) {
          expected.append("----\n");
          i++;
          while (i < lines.size() && !lines.get(i).isBlank()) {
            expected.append(lines.get(i)).append('\n');
            i++;
          }
        }
      }
    }
    if (REWRITE) {
      Files.writeString(file, actual.toString());
    } else {
      assertEquals(expected.toString(), actual.toString(), "golden file " + file
          + " (rerun with -Dsluice.golden.rewrite=true and review the diff if the change is intended)");
    }
  }
}
