package io.sluice.node.log;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The server's log encoder, chosen by {@code <format>} in logback.xml: {@code text} (the
 * {@code <pattern>}) or {@code json} (logback's {@link JsonEncoder}: one object per line, the
 * node id under {@code context.properties}). One appender with a switchable encoder, rather than
 * one appender per format, keeps logback from warning about the unused one on every start.
 *
 * <p>An unknown format falls back to text with a logback error (the server command refuses to
 * start with one anyway, see cli/ServerLogging). Configured once by logback, then used from any
 * thread (the delegates are thread-safe).
 */
public final class LogFormatEncoder extends EncoderBase<ILoggingEvent> {
  private String format = "text";
  private String pattern = "%d %-5level [%thread] %logger - %msg%n";
  private Encoder<ILoggingEvent> delegate;

  public void setFormat(String format) {
    this.format = format;
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  @Override
  public void start() {
    if (format.equals("json")) {
      JsonEncoder json = new JsonEncoder();
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithArguments(false);
      json.setWithMessage(false);
      json.setWithFormattedMessage(true);
      delegate = json;
    } else {
      if (!format.equals("text")) {
        addError("unknown log format '" + format + "' (sluice.log.format / SLUICE_LOG_FORMAT); using text");
      }
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern(pattern);
      delegate = text;
    }
    delegate.setContext(getContext());
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
