package io.sluice.node.cli;

import io.sluice.chaos.checker.Checker;
import io.sluice.chaos.checker.CheckerOptions;
import io.sluice.chaos.checker.Verdict;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryFormatException;
import io.sluice.chaos.history.HistoryReader;
import io.sluice.chaos.report.RunReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice check-history FILE}: checks a recorded chaos history (docs/history-format.md) and
 * prints the JSON verdict. Exit 0 when valid, 1 when anomalies or liveness failures were found,
 * 2 when the file cannot be read or is not a history.
 */
@Command(
    name = "check-history",
    mixinStandardHelpOptions = true,
    description = {
      "Check a chaos history (JSON lines, see docs/history-format.md) for lost, duplicated,"
          + " reordered or phantom records, partial atomic writes, consumer skips, commit"
          + " regressions, diverging replicas, and liveness; print the verdict as JSON.",
      "Exits 0 when valid, 1 when the verdict is invalid, 2 when FILE cannot be read."
    })
final class CheckHistoryCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "FILE", description = "The history to check.")
  Path file;

  @Option(
      names = "--report",
      paramLabel = "DIR",
      description = "Also write verdict.json, report.html and a copy of the history into DIR.")
  Path reportDir;

  @Option(
      names = "--recovery-time-max",
      paramLabel = "DURATION",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "After the last heal, a write must be acknowledged within this (default: ${DEFAULT-VALUE}).")
  Duration recoveryTimeMax;

  @Option(
      names = "--examples",
      paramLabel = "N",
      defaultValue = "5",
      description = "Examples kept per anomaly kind (default: ${DEFAULT-VALUE}).")
  int examples;

  @Option(
      names = {"-v", "--verbose"},
      description = "Print stack traces with errors.")
  boolean verbose;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (examples < 0) {
      err.println(CliErrors.PREFIX + "--examples must be 0 or more, was " + examples);
      return SluiceCli.EXIT_USAGE;
    }
    History history;
    try {
      history = HistoryReader.read(file);
    } catch (HistoryFormatException e) {
      err.println(CliErrors.PREFIX + file + " is not a valid history: " + e.getMessage());
      return SluiceCli.EXIT_USAGE;
    } catch (IOException e) {
      err.println(CliErrors.PREFIX + "cannot read " + file + ": " + describe(e));
      return SluiceCli.EXIT_USAGE;
    }
    Verdict verdict;
    try {
      verdict = new Checker(new CheckerOptions(recoveryTimeMax, examples)).check(history);
    } catch (HistoryFormatException e) {
      err.println(CliErrors.PREFIX + file + " cannot be checked: " + e.getMessage());
      return SluiceCli.EXIT_USAGE;
    }
    out.println(verdict.toPrettyJson());
    if (reportDir != null) {
      Map<String, String> facts = new LinkedHashMap<>();
      facts.put("history", file.toString());
      facts.put("reproduce", "sluice check-history " + file);
      Path report = RunReport.write(reportDir, "sluice check-history", facts, file, history, verdict);
      err.println("report: " + report);
    }
    err.println(summary(verdict));
    return verdict.valid() ? SluiceCli.EXIT_OK : SluiceCli.EXIT_FAILED;
  }

  /** One line for people: valid, or which kinds were found and the liveness problems. */
  static String summary(Verdict verdict) {
    if (verdict.valid()) {
      return "valid: no anomaly, liveness ok";
    }
    StringBuilder line = new StringBuilder("INVALID:");
    for (var kind : io.sluice.chaos.checker.AnomalyKind.values()) {
      if (verdict.count(kind) > 0) {
        line.append(' ').append(kind.jsonName()).append('=').append(verdict.count(kind));
      }
    }
    for (String problem : verdict.liveness().problems()) {
      line.append(" liveness: ").append(problem).append(';');
    }
    return line.toString();
  }

  private static String describe(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
