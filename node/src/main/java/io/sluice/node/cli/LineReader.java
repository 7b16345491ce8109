package io.sluice.node.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines without decoding it: a line ends at {@code \n}, and a {@code \r}
 * right before it is dropped too. A last line without a newline is still a line. Working on bytes
 * keeps {@code produce} fast and passes values through unchanged.
 *
 * <p>Not thread-safe.
 */
final class LineReader {

  /** No line may be longer; a longer one is an error rather than an unbounded buffer. */
  static final int LINE_BYTES_MAX = 16 * 1024 * 1024;

  private static final int READ_BUFFER_BYTES = 64 * 1024;

  private final InputStream in;
  private final int lineBytesMax;
  private final byte[] buffer = new byte[READ_BUFFER_BYTES];
  private int position;
  private int limit;
  private byte[] partial = new byte[256];
  private int partialLength;
  private long lineNumber;

  LineReader(InputStream in) {
    this(in, LINE_BYTES_MAX);
  }

  LineReader(InputStream in, int lineBytesMax) {
    this.in = in;
    this.lineBytesMax = lineBytesMax;
  }

  /** The next line without its line ending, or null at the end of the stream. */
  byte[] readLine() throws IOException {
    partialLength = 0;
    boolean readAnything = false;
    while (true) {
      if (position == limit && !fill()) {
        return readAnything ? finishLine(partial, 0, partialLength) : null;
      }
      readAnything = true;
      int newline = indexOfNewline();
      if (newline >= 0) {
        byte[] line;
        if (partialLength == 0) {
          line = finishLine(buffer, position, newline - position);
        } else {
          append(position, newline);
          line = finishLine(partial, 0, partialLength);
        }
        position = newline + 1;
        return line;
      }
      append(position, limit);
      position = limit;
    }
  }

  /** 1-based number of the line last returned. */
  long lineNumber() {
    return lineNumber;
  }

  private boolean fill() throws IOException {
    int read = in.read(buffer, 0, buffer.length);
    while (read == 0) {
      read = in.read(buffer, 0, buffer.length);
    }
    position = 0;
    limit = Math.max(read, 0);
    return read > 0;
  }

  private int indexOfNewline() {
    for (int i = position; i < limit; i++) {
      if (buffer[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void append(int from, int to) throws IOException {
    int length = to - from;
    if ((long) partialLength + length > lineBytesMax) {
      throw new IOException(
          "line " + (lineNumber + 1) + " is longer than " + lineBytesMax + " bytes");
    }
    if (partialLength + length > partial.length) {
      partial = Arrays.copyOf(partial, Math.max(partialLength + length, partial.length * 2));
    }
    System.arraycopy(buffer, from, partial, partialLength, length);
    partialLength += length;
  }

  private byte[] finishLine(byte[] source, int offset, int length) throws IOException {
    if (length > lineBytesMax) {
      throw new IOException(
          "line " + (lineNumber + 1) + " is longer than " + lineBytesMax + " bytes");
    }
    lineNumber++;
    int end = offset + length;
    if (length > 0 && source[end - 1] == '\r') {
      end--;
    }
    return Arrays.copyOfRange(source, offset, end);
  }
}
