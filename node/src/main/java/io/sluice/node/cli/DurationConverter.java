package io.sluice.node.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses durations such as {@code 500ms}, {@code 60s}, {@code 5m}, {@code 1h}, or ISO-8601 {@code PT1M}. */
final class DurationConverter implements ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (text.startsWith("pt") || text.startsWith("p")) {
        return positive(Duration.parse(value.trim()), value);
      }
      if (text.endsWith("ms")) {
        return positive(Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2))), value);
      }
      long amount = Long.parseLong(text.substring(0, text.length() - 1));
      return switch (text.charAt(text.length() - 1)) {
        case 's' -> positive(Duration.ofSeconds(amount), value);
        case 'm' -> positive(Duration.ofMinutes(amount), value);
        case 'h' -> positive(Duration.ofHours(amount), value);
        default -> throw new TypeConversionException(problem(value));
      };
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new TypeConversionException(problem(value));
    }
  }

  private static Duration positive(Duration duration, String value) {
    if (duration.isNegative() || duration.isZero()) {
      throw new TypeConversionException("'" + value + "' is not a positive duration");
    }
    return duration;
  }

  private static String problem(String value) {
    return "'" + value + "' is not a duration (use e.g. 500ms, 60s, 5m, 1h)";
  }
}
