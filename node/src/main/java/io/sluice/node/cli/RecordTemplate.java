package io.sluice.node.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code consume --format} template: how one record is printed. The record is printed as the
 * template followed by a newline.
 *
 * <pre>
 *   %v  value          %k  key            %p  partition     %o  offset
 *   %t  timestamp (epoch milliseconds)    %T  topic         %n  newline      %%  a percent sign
 *   \n  newline        \t  tab            \\  a backslash
 * </pre>
 *
 * Keys and values are written as their raw bytes; a null key or value prints as {@code null}. Any
 * other character after {@code %} is an error; any other character after a backslash is printed as
 * written, backslash included.
 *
 * <p>Immutable and thread-safe.
 */
final class RecordTemplate {

  static final String DEFAULT = "%v";

  /**
   * The placeholders, for help texts. Written with %% for picocli, whose descriptions are format
   * strings, and it has to be a constant to appear in an annotation.
   */
  static final String HELP_ESCAPED =
      "%%v value, %%k key, %%p partition, %%o offset, %%t timestamp ms, %%T topic,"
          + " %%n newline, %%%% percent; \\n newline, \\t tab, \\\\ backslash";

  /** The placeholders, for error messages. */
  static final String HELP = HELP_ESCAPED.replace("%%", "%");

  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  private enum Field {
    VALUE,
    KEY,
    PARTITION,
    OFFSET,
    TIMESTAMP,
    TOPIC
  }

  /** Each part is a byte[] literal or a Field. */
  private final List<Object> parts;

  private RecordTemplate(List<Object> parts) {
    this.parts = List.copyOf(parts);
  }

  /**
   * Compiles a template.
   *
   * @throws IllegalArgumentException naming the unknown placeholder, or a trailing lone %
   */
  static RecordTemplate parse(String template) {
    List<Object> parts = new ArrayList<>();
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < template.length(); i++) {
      char c = template.charAt(i);
      if (c != '%' && c != '\\') {
        literal.append(c);
        continue;
      }
      if (i + 1 == template.length()) {
        if (c == '%') {
          throw new IllegalArgumentException("--format ends with a lone %; use %% for a percent");
        }
        literal.append(c);
        continue;
      }
      char next = template.charAt(++i);
      if (c == '\\') {
        appendEscape(literal, next);
        continue;
      }
      Field field = field(next);
      if (field == null) {
        literal.append(placeholderLiteral(next));
      } else {
        flush(literal, parts);
        parts.add(field);
      }
    }
    flush(literal, parts);
    return new RecordTemplate(parts);
  }

  private static void appendEscape(StringBuilder literal, char next) {
    switch (next) {
      case 'n' -> literal.append('\n');
      case 't' -> literal.append('\t');
      case '\\' -> literal.append('\\');
      default -> literal.append('\\').append(next);
    }
  }

  private static Field field(char placeholder) {
    return switch (placeholder) {
      case 'v' -> Field.VALUE;
      case 'k' -> Field.KEY;
      case 'p' -> Field.PARTITION;
      case 'o' -> Field.OFFSET;
      case 't' -> Field.TIMESTAMP;
      case 'T' -> Field.TOPIC;
      default -> null;
    };
  }

  private static char placeholderLiteral(char placeholder) {
    return switch (placeholder) {
      case 'n' -> '\n';
      case '%' -> '%';
      default ->
          throw new IllegalArgumentException(
              "unknown placeholder %" + placeholder + " in --format; known: " + HELP);
    };
  }

  private static void flush(StringBuilder literal, List<Object> parts) {
    if (literal.length() > 0) {
      parts.add(literal.toString().getBytes(StandardCharsets.UTF_8));
      literal.setLength(0);
    }
  }

  /** Writes one record, then a newline. */
  void render(
      String topic,
      int partition,
      long offset,
      long timestampMs,
      byte[] key,
      byte[] value,
      OutputStream out)
      throws IOException {
    for (Object part : parts) {
      if (part instanceof byte[] literal) {
        out.write(literal);
        continue;
      }
      switch ((Field) part) {
        case VALUE -> out.write(value == null ? NULL : value);
        case KEY -> out.write(key == null ? NULL : key);
        case PARTITION -> writeAscii(Integer.toString(partition), out);
        case OFFSET -> writeAscii(Long.toString(offset), out);
        case TIMESTAMP -> writeAscii(Long.toString(timestampMs), out);
        case TOPIC -> out.write(topic.getBytes(StandardCharsets.UTF_8));
      }
    }
    out.write('\n');
  }

  private static void writeAscii(String digits, OutputStream out) throws IOException {
    for (int i = 0; i < digits.length(); i++) {
      out.write(digits.charAt(i));
    }
  }
}
