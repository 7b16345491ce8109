package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KeySplitterTest {

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void splitsAtTheFirstSeparatorOnly() {
    KeySplitter.KeyedLine line = new KeySplitter(utf8(":")).split(utf8("user-1:a:b"));
    assertArrayEquals(utf8("user-1"), line.key());
    assertArrayEquals(utf8("a:b"), line.value());
  }

  @Test
  void lineWithoutSeparatorHasANullKeyAndTheWholeLineAsValue() {
    KeySplitter.KeyedLine line = new KeySplitter(utf8(":")).split(utf8("no separator"));
    assertNull(line.key());
    assertArrayEquals(utf8("no separator"), line.value());
  }

  @Test
  void separatorAtTheStartGivesAnEmptyKey() {
    KeySplitter.KeyedLine line = new KeySplitter(utf8("=")).split(utf8("=v"));
    assertArrayEquals(new byte[0], line.key());
    assertArrayEquals(utf8("v"), line.value());
  }

  @Test
  void separatorAtTheEndGivesAnEmptyValue() {
    KeySplitter.KeyedLine line = new KeySplitter(utf8("=")).split(utf8("k="));
    assertArrayEquals(utf8("k"), line.key());
    assertArrayEquals(new byte[0], line.value());
  }

  @Test
  void multiCharacterAndNonAsciiSeparators() {
    KeySplitter.KeyedLine line = new KeySplitter(utf8("→→")).split(utf8("é→x→→y"));
    assertArrayEquals(utf8("é→x"), line.key());
    assertArrayEquals(utf8("y"), line.value());
  }

  @Test
  void partialSeparatorAtTheEndIsNotAMatch() {
    KeySplitter.KeyedLine line = new KeySplitter(utf8("::")).split(utf8("a:"));
    assertNull(line.key());
  }

  @Test
  void emptySeparatorIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> new KeySplitter(new byte[0]));
  }
}
