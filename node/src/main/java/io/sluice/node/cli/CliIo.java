package io.sluice.node.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The standard streams of one command-line run. Tests pass in-memory streams.
 *
 * <p>{@code out} is raw bytes: {@code consume} writes record values to it unchanged, so it is the
 * file descriptor itself rather than {@link System#out}, which would hide write errors such as a
 * closed pipe.
 */
record CliIo(InputStream in, OutputStream out, OutputStream err) {

  static CliIo system() {
    return new CliIo(System.in, new FileOutputStream(FileDescriptor.out), System.err);
  }

  /** Text output (tables, messages); flushes on every line. */
  PrintWriter outWriter() {
    return new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
  }

  PrintWriter errWriter() {
    return new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
  }
}
