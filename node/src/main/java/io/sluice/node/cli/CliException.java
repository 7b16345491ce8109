package io.sluice.node.cli;

/**
 * An operation failed for a reason the message states completely; the CLI prints the message and
 * exits 1.
 */
final class CliException extends RuntimeException {

  CliException(String message) {
    super(message);
  }

  CliException(String message, Throwable cause) {
    super(message, cause);
  }
}
