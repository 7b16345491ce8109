package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecordTemplateTest {

  private static String render(String template, byte[] key, byte[] value) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RecordTemplate.parse(template).render("orders", 2, 41L, 1_700_000_000_123L, key, value, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void defaultTemplatePrintsTheValueAndANewline() throws IOException {
    assertEquals("hello\n", render(RecordTemplate.DEFAULT, utf8("k"), utf8("hello")));
  }

  @Test
  void everyPlaceholderIsReplaced() throws IOException {
    assertEquals(
        "orders/2:41 @1700000000123 k1=v1\n", render("%T/%p:%o @%t %k=%v", utf8("k1"), utf8("v1")));
  }

  @Test
  void nullKeyAndValuePrintAsNull() throws IOException {
    assertEquals("null=null\n", render("%k=%v", null, null));
  }

  @Test
  void percentNewlineAndEscapes() throws IOException {
    assertEquals(
        "100% k\tv\nnext\\line\n", render("100%% %k\\t%v%nnext\\\\line", utf8("k"), utf8("v")));
  }

  @Test
  void backslashNIsANewline() throws IOException {
    assertEquals("k\nv\n", render("%k\\n%v", utf8("k"), utf8("v")));
  }

  @Test
  void unknownBackslashEscapeIsKeptAsWritten() throws IOException {
    assertEquals("a\\qb\n", render("a\\qb", null, null));
  }

  @Test
  void valueBytesArePassedThroughUnchanged() throws IOException {
    byte[] value = {(byte) 0xff, 0x00, (byte) 0xc3, (byte) 0xa9};
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RecordTemplate.parse("%v").render("t", 0, 0, 0, null, value, out);
    byte[] written = out.toByteArray();
    assertEquals(5, written.length);
    assertEquals((byte) 0xff, written[0]);
    assertEquals((byte) 0xa9, written[3]);
    assertEquals('\n', written[4]);
  }

  @Test
  void nonAsciiLiteralsAreWrittenAsUtf8() throws IOException {
    assertEquals("clé→v\n", render("clé→%v", null, utf8("v")));
  }

  @Test
  void unknownPlaceholderIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RecordTemplate.parse("%v %q"));
    assertTrue(e.getMessage().contains("%q"), e.getMessage());
  }

  @Test
  void trailingLonePercentIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> RecordTemplate.parse("%v %"));
  }
}
