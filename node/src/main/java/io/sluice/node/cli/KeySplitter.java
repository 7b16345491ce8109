package io.sluice.node.cli;

import java.util.Arrays;

/**
 * Splits a line into key and value at the first occurrence of a separator. The search is over UTF-8
 * bytes, which finds exactly the character matches because no UTF-8 encoding of a character occurs
 * inside another's.
 */
final class KeySplitter {

  /**
   * A line split into its parts.
   *
   * @param key the bytes before the first separator, or null when the line has none
   * @param value the bytes after the first separator, or the whole line when it has none
   */
  record KeyedLine(byte[] key, byte[] value) {}

  private final byte[] separator;

  /**
   * @param separator UTF-8 bytes of the separator; not empty
   */
  KeySplitter(byte[] separator) {
    if (separator.length == 0) {
      throw new IllegalArgumentException("the key separator must not be empty");
    }
    this.separator = separator.clone();
  }

  KeyedLine split(byte[] line) {
    int at = indexOf(line, separator);
    if (at < 0) {
      return new KeyedLine(null, line);
    }
    return new KeyedLine(
        Arrays.copyOfRange(line, 0, at),
        Arrays.copyOfRange(line, at + separator.length, line.length));
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    int last = haystack.length - needle.length;
    outer:
    for (int i = 0; i <= last; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
