package io.sluice.node.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * Logging for client commands: warnings (or, with --verbose, info) to standard error only, so a
 * library's log line never lands in the middle of {@code consume}'s output.
 */
final class CliLogging {

  private CliLogging() {}

  static void configureForClient(boolean verbose) {
    java.util.logging.Logger.getLogger("")
        .setLevel(verbose ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    context.reset();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("sluice: %level %logger{36}: %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(verbose ? Level.INFO : Level.WARN);
    root.addAppender(appender);
  }
}
