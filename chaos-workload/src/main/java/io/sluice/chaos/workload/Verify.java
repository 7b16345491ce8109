package io.sluice.chaos.workload;

import io.sluice.chaos.checker.Checker;
import io.sluice.chaos.checker.CheckerOptions;
import io.sluice.chaos.checker.Verdict;
import io.sluice.chaos.history.History;
import io.sluice.chaos.history.HistoryReader;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.report.RunReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One verification run: the workload for a duration against a running cluster (whatever faults
 * the user causes meanwhile), then the checker, then history, verdict and report in a directory.
 * Stateless.
 */
public final class Verify {

  /** What a run produced. */
  public record Result(Path dir, Path historyFile, Path reportFile, Verdict verdict) {}

  private Verify() {}

  /**
   * @param reproduce the command line that repeats this run, shown in the report
   */
  public static Result run(WorkloadConfig config, Duration duration, Path dir, CheckerOptions options,
      String reproduce) throws Exception {
    Path historyFile = dir.resolve(RunReport.HISTORY_FILE);
    try (HistoryWriter history = HistoryWriter.create(historyFile);
        Workload workload = new Workload(config, history)) {
      workload.run(duration);
    }
    return check(historyFile, dir, options, facts(config, duration, reproduce));
  }

  /** Checks a recorded history and writes verdict and report next to it in {@code dir}. */
  public static Result check(Path historyFile, Path dir, CheckerOptions options, Map<String, String> facts)
      throws java.io.IOException {
    History history = HistoryReader.read(historyFile);
    Verdict verdict = new Checker(options).check(history);
    Path report = RunReport.write(dir, "sluice verify", facts, historyFile, history, verdict);
    return new Result(dir, dir.resolve(RunReport.HISTORY_FILE), report, verdict);
  }

  private static Map<String, String> facts(WorkloadConfig config, Duration duration, String reproduce) {
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("seed", Long.toString(config.seed()));
    facts.put("bootstrap", config.bootstrap());
    facts.put("topic", config.topic() + " (" + config.partitions() + " partitions)");
    facts.put("clients", config.producers() + " producers, " + config.atomicWriters() + " atomic writers, "
        + config.consumers() + " consumers");
    facts.put("duration", duration.toString());
    if (reproduce != null) {
      facts.put("reproduce", reproduce);
    }
    return facts;
  }
}
