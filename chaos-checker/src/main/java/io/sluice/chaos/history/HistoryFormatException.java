package io.sluice.chaos.history;

/** A history line that is not valid JSON or does not follow the format; says which line and why. */
public final class HistoryFormatException extends RuntimeException {

  private final long lineNumber;

  public HistoryFormatException(long lineNumber, String message) {
    super(lineNumber > 0 ? "line " + lineNumber + ": " + message : message);
    this.lineNumber = lineNumber;
  }

  /** The 1-based line number, or 0 when the problem is not tied to one line. */
  public long lineNumber() {
    return lineNumber;
  }
}
