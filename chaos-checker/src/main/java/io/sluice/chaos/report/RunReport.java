package io.sluice.chaos.report;

import io.sluice.chaos.checker.Verdict;
import io.sluice.chaos.history.History;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Writes the artifacts of one run into a directory: {@code history.jsonl} (copied unless it is
 * already there), {@code verdict.json} and {@code report.html}. Stateless.
 */
public final class RunReport {

  public static final String HISTORY_FILE = "history.jsonl";
  public static final String VERDICT_FILE = "verdict.json";
  public static final String REPORT_FILE = "report.html";

  private RunReport() {}

  /**
   * @param dir created if missing
   * @param historyFile the recorded history; copied to {@code dir/history.jsonl} unless it is that file
   * @return the report's path
   */
  public static Path write(Path dir, String title, Map<String, String> facts, Path historyFile, History history,
      Verdict verdict) throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(HISTORY_FILE);
    if (historyFile != null && !(Files.exists(target) && Files.isSameFile(historyFile, target))) {
      Files.copy(historyFile, target, StandardCopyOption.REPLACE_EXISTING);
    }
    Files.writeString(dir.resolve(VERDICT_FILE), verdict.toPrettyJson() + "\n", StandardCharsets.UTF_8);
    Path report = dir.resolve(REPORT_FILE);
    Files.writeString(report, HtmlReport.render(title, facts, history, verdict), StandardCharsets.UTF_8);
    return report;
  }
}
