package io.sluice.chaos.history;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a JSON-lines history (docs/history-format.md). Blank lines are skipped. Stateless. */
public final class HistoryReader {

  private HistoryReader() {}

  /**
   * Reads and pairs a history file.
   *
   * @throws IOException when the file cannot be read
   * @throws HistoryFormatException when a line is malformed, naming the line
   */
  public static History read(Path file) throws IOException {
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return History.of(readEvents(in));
    }
  }

  /** Reads events from {@code in} without pairing them (does not close {@code in}). */
  public static List<Event> readEvents(Reader in) throws IOException {
    BufferedReader lines = in instanceof BufferedReader buffered ? buffered : new BufferedReader(in);
    List<Event> events = new ArrayList<>();
    long lineNumber = 0;
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      events.add(HistoryJson.fromLine(line, lineNumber));
    }
    return events;
  }
}
