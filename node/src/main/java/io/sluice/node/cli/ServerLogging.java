package io.sluice.node.cli;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The server's log format. {@code logback.xml} picks it (io.sluice.node.log.LogFormatEncoder)
 * from the system property {@code sluice.log.format} or else the environment variable
 * {@code SLUICE_LOG_FORMAT}: {@code text} (default; one line per event, {@code node=<id>} in
 * each) or {@code json} (one JSON object per line, the node id under
 * {@code context.properties."sluice.node.id"}).
 */
final class ServerLogging {
  static final String NODE_ID_PROPERTY = "sluice.node.id";
  static final String FORMAT_PROPERTY = "sluice.log.format";
  static final String FORMAT_ENV = "SLUICE_LOG_FORMAT";

  private ServerLogging() {}

  /**
   * Puts the node id into the logging context, so every line carries it, in both formats.
   *
   * @throws IllegalArgumentException when the chosen format is neither text nor json (a typo
   *     must not silently give the other format)
   */
  static void tagWithNodeId(String nodeId) {
    String format = format();
    if (!format.equals("text") && !format.equals("json")) {
      throw new IllegalArgumentException("unknown log format '" + format + "' (" + FORMAT_PROPERTY + " or "
          + FORMAT_ENV + "); use text or json");
    }
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.putProperty(NODE_ID_PROPERTY, nodeId);
    }
    // One backend: java.util.logging records (from shaded libraries) go through logback too, so
    // they carry the node id and, in json, do not break the one-object-per-line stream.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }

  /** The format logback.xml resolves: the same lookup order, taken literally (as logback does). */
  static String format() {
    String p = System.getProperty(FORMAT_PROPERTY);
    if (p != null) {
      return p;
    }
    String e = System.getenv(FORMAT_ENV);
    return e != null ? e : "text";
  }
}
