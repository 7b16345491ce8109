package io.sluice.node.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks of option values that picocli's types cannot express; a failure is exit 2. */
final class Validate {

  private Validate() {}

  static void positive(CommandSpec spec, String option, long value) {
    if (value <= 0) {
      throw new ParameterException(spec.commandLine(), option + " must be positive, got " + value);
    }
  }

  static void notNegative(CommandSpec spec, String option, long value) {
    if (value < 0) {
      throw new ParameterException(
          spec.commandLine(), option + " must not be negative, got " + value);
    }
  }
}
