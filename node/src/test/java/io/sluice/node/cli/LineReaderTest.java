package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  private static List<String> lines(String input) throws IOException {
    return lines(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
  }

  private static List<String> lines(InputStream in) throws IOException {
    LineReader reader = new LineReader(in);
    List<String> lines = new ArrayList<>();
    byte[] line;
    while ((line = reader.readLine()) != null) {
      lines.add(new String(line, StandardCharsets.UTF_8));
    }
    return lines;
  }

  @Test
  void splitsOnNewlinesAndDropsThem() throws IOException {
    assertEquals(List.of("a", "bb", "ccc"), lines("a\nbb\nccc\n"));
  }

  @Test
  void lastLineWithoutNewlineIsStillALine() throws IOException {
    assertEquals(List.of("a", "b"), lines("a\nb"));
  }

  @Test
  void carriageReturnBeforeNewlineIsDropped() throws IOException {
    assertEquals(List.of("a", "b\rc"), lines("a\r\nb\rc\r\n"));
  }

  @Test
  void emptyLinesAreKept() throws IOException {
    assertEquals(List.of("", "a", ""), lines("\na\n\n"));
  }

  @Test
  void emptyInputHasNoLines() throws IOException {
    assertEquals(List.of(), lines(""));
  }

  @Test
  void linesSpanningReadsAreJoined() throws IOException {
    // Hands out one byte per read, so every line crosses buffer refills.
    byte[] bytes = "first\nsecond line\n".getBytes(StandardCharsets.UTF_8);
    InputStream trickle =
        new InputStream() {
          int next;

          @Override
          public int read() {
            return next < bytes.length ? bytes[next++] : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (next >= bytes.length) {
              return -1;
            }
            b[off] = bytes[next++];
            return 1;
          }
        };
    assertEquals(List.of("first", "second line"), lines(trickle));
  }

  @Test
  void lineLongerThanTheBufferIsReadWhole() throws IOException {
    String longLine = "x".repeat(200_000);
    assertEquals(List.of(longLine, "y"), lines(longLine + "\ny\n"));
  }

  @Test
  void lineOverTheLimitIsAnErrorNamingTheLine() throws IOException {
    LineReader reader =
        new LineReader(
            new ByteArrayInputStream("ok\ntoo long\n".getBytes(StandardCharsets.UTF_8)), 4);
    reader.readLine();
    IOException e = assertThrows(IOException.class, reader::readLine);
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
  }

  @Test
  void countsLines() throws IOException {
    LineReader reader =
        new LineReader(new ByteArrayInputStream("a\nb\n".getBytes(StandardCharsets.UTF_8)));
    reader.readLine();
    reader.readLine();
    assertEquals(2, reader.lineNumber());
    assertNull(reader.readLine());
  }
}
