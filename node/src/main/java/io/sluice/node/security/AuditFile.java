package io.sluice.node.security;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Sends the audit logger ({@value AuthEvents#AUDIT_LOGGER}) to its own file ({@code audit.file}),
 * one line per decision with an ISO-8601 timestamp, and no longer to the server log. Appending
 * the same file twice (several nodes in one JVM) attaches one appender. Thread-safe (synchronized).
 */
public final class AuditFile {
  private AuditFile() {}

  /** Appends audit lines to {@code file} (created if absent, with its parent directories). */
  public static synchronized void attach(Path file) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      LoggerFactory.getLogger(AuditFile.class).warn("audit.file {} ignored: logging is not logback", file);
      return;
    }
    Logger audit = context.getLogger(AuthEvents.AUDIT_LOGGER);
    String name = "audit-file:" + file.toAbsolutePath();
    if (audit.getAppender(name) != null) {
      return;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setName(name);
    appender.setFile(file.toAbsolutePath().toString());
    appender.setAppend(true);
    appender.setImmediateFlush(true);
    appender.setEncoder(encoder);
    appender.start();
    audit.addAppender(appender);
    audit.setLevel(ch.qos.logback.classic.Level.INFO);
    audit.setAdditive(false);
  }
}
