package io.sluice.node.cli;

import io.sluice.client.IndeterminateException;
import io.sluice.client.SluiceException;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/** Turns exceptions into the one-line {@code sluice: error: …} messages and the exit codes. */
final class CliErrors {

  static final String PREFIX = "sluice: error: ";

  private CliErrors() {}

  /** Usage errors: exit 2, one line naming the problem and where to read the usage. */
  static int handleUsageError(ParameterException ex, String[] args) {
    CommandLine commandLine = ex.getCommandLine();
    PrintWriter err = commandLine.getErr();
    String message = ex.getMessage();
    if (message.startsWith("Error: ")) {
      // Picocli starts some messages with its own "Error: "; ours already says it.
      message = message.substring("Error: ".length());
    }
    err.println(
        PREFIX + message + " (see '" + commandLine.getCommandSpec().qualifiedName() + " --help')");
    err.flush();
    return commandLine.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** Failed operations: exit 1, one line; the stack trace only with {@code --verbose}. */
  static int handleExecutionError(Exception ex, CommandLine commandLine, ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    err.println(PREFIX + describe(ex));
    if (isVerbose(parseResult)) {
      ex.printStackTrace(err);
    }
    err.flush();
    return SluiceCli.EXIT_FAILED;
  }

  /** The message a user should see for {@code t}, without the wrapping of futures. */
  static String describe(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof SluiceException sluice) {
      return describeSluice(sluice);
    }
    String message = cause.getMessage();
    if (message == null || message.isBlank()) {
      return cause.getClass().getSimpleName();
    }
    return message;
  }

  private static String describeSluice(SluiceException ex) {
    String message = ex.getMessage();
    if (message == null || message.isBlank()) {
      message = ex.reason() != null ? ex.reason() : ex.getClass().getSimpleName();
    }
    String networkCause = networkCause(ex);
    if (networkCause != null && !message.contains(networkCause)) {
      message += ": " + networkCause;
    }
    if (ex instanceof IndeterminateException) {
      // Say what is known: the server may have applied the write before the failure.
      message += " (the outcome is unknown: it may have been applied)";
    }
    return message;
  }

  /**
   * The operating system's words for a failed connection ("Connection refused"), which gRPC's
   * status hides behind "io exception"; null when the root cause is not an I/O error.
   */
  static String networkCause(Throwable t) {
    Throwable root = t;
    for (int depth = 0; depth < 20 && root.getCause() != null && root.getCause() != root; depth++) {
      root = root.getCause();
    }
    if (root == t || !(root instanceof IOException) || root.getMessage() == null) {
      return null;
    }
    String message = root.getMessage();
    int lastColon = message.lastIndexOf(": ");
    return lastColon >= 0 ? message.substring(lastColon + 2) : message;
  }

  static Throwable unwrap(Throwable t) {
    Throwable current = t;
    while ((current instanceof CompletionException
            || current instanceof ExecutionException
            || current instanceof InvocationTargetException
            || current instanceof CommandLine.ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  static ParseResult leaf(ParseResult parseResult) {
    ParseResult current = parseResult;
    while (current.hasSubcommand()) {
      current = current.subcommand();
    }
    return current;
  }

  static boolean isVerbose(ParseResult parseResult) {
    if (parseResult == null) {
      return false;
    }
    for (ParseResult current = parseResult; current != null; current = current.subcommand()) {
      if (current.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }
}
