package io.sluice.chaos.report;

import io.sluice.chaos.checker.Anomaly;
import io.sluice.chaos.checker.AnomalyKind;
import io.sluice.chaos.checker.Verdict;
import io.sluice.chaos.history.History;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntToDoubleFunction;

/**
 * A self-contained HTML report of one run (no external scripts, styles or fonts; plots are inline
 * SVG): the verdict, the fault timeline, throughput and latency over time with fault intervals
 * shaded, the anomalies found with their examples, liveness and statistics. Stateless.
 */
public final class HtmlReport {

  private static final int WIDTH = 960;
  private static final int PLOT_HEIGHT = 220;
  private static final int LEFT = 110;
  private static final int RIGHT = 20;
  private static final int TOP = 24;
  private static final int BOTTOM = 30;
  private static final String[] FAULT_COLOURS = {"#e8a33d", "#c0504d", "#8064a2", "#4bacc6", "#9bbb59", "#f79646"};

  private HtmlReport() {}

  /**
   * Renders the report.
   *
   * @param title shown as the page title (e.g. the scenario name)
   * @param facts extra lines for the header, in order (seed, cluster, reproduce command, ...)
   */
  public static String render(String title, Map<String, String> facts, History history, Verdict verdict) {
    Timeline timeline = new Timeline(history);
    StringBuilder html = new StringBuilder(64 * 1024);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(escape(title)).append("</title>\n<style>\n")
        .append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}")
        .append("h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}")
        .append(".valid{color:#fff;background:#2e7d32;padding:2px 10px;border-radius:4px}")
        .append(".invalid{color:#fff;background:#c62828;padding:2px 10px;border-radius:4px}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}")
        .append("td.n{text-align:right}tr.bad td{background:#fdecea}code,pre{font-size:12px}")
        .append("pre{white-space:pre-wrap;background:#f6f6f6;padding:6px}svg text{font-size:11px;fill:#444}\n")
        .append("</style></head><body>\n");
    header(html, title, facts, verdict);
    faultsSection(html, timeline);
    throughputSection(html, timeline);
    latencySection(html, timeline);
    anomaliesSection(html, verdict);
    livenessSection(html, verdict);
    html.append("<h2>Statistics</h2>\n<pre>").append(escape(verdict.stats().toPrettyString())).append("</pre>\n");
    html.append("</body></html>\n");
    return html.toString();
  }

  private static void header(StringBuilder html, String title, Map<String, String> facts, Verdict verdict) {
    html.append("<h1>").append(escape(title)).append(" &mdash; ")
        .append(verdict.valid() ? "<span class=\"valid\">valid</span>" : "<span class=\"invalid\">INVALID</span>")
        .append("</h1>\n<table>\n");
    facts.forEach((name, value) -> row(html, name, "<code>" + escape(value) + "</code>"));
    row(html, "safety", verdict.safe() ? "no anomaly" : "anomalies found (below)");
    row(html, "liveness", verdict.liveness().valid() ? "ok" : escape(String.join("; ", verdict.liveness().problems())));
    html.append("</table>\n");
  }

  private static void row(StringBuilder html, String name, String valueHtml) {
    html.append("<tr><th>").append(escape(name)).append("</th><td>").append(valueHtml).append("</td></tr>\n");
  }

  private static void faultsSection(StringBuilder html, Timeline timeline) {
    html.append("<h2>Faults</h2>\n");
    if (timeline.faults.isEmpty()) {
      html.append("<p>No fault was recorded in this history (faults caused outside the harness, as during"
          + " <code>sluice verify</code>, are not known to it: look for them in the throughput and latency).</p>\n");
      return;
    }
    int lane = 18;
    int height = TOP + BOTTOM + lane * timeline.faults.size();
    html.append(svgOpen(height));
    for (int i = 0; i < timeline.faults.size(); i++) {
      Timeline.FaultInterval fault = timeline.faults.get(i);
      double x0 = x(timeline, fault.startNs());
      double x1 = Math.max(x0 + 2, x(timeline, fault.endNs()));
      int y = TOP + i * lane;
      html.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s</title></rect>",
          x0, y + 2, x1 - x0, lane - 4, colour(timeline, fault.fault()), escape(faultLabel(fault))));
      html.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
          LEFT - 4, y + lane - 5, escape(fault.id() + " " + fault.fault())));
    }
    timeAxis(html, timeline, height - BOTTOM);
    html.append("</svg>\n<table><tr><th>id</th><th>fault</th><th>start s</th><th>end s</th><th>description</th></tr>\n");
    for (Timeline.FaultInterval fault : timeline.faults) {
      html.append("<tr><td>").append(escape(fault.id())).append("</td><td>").append(escape(fault.fault()))
          .append("</td><td class=\"n\">").append(seconds(fault.startNs())).append("</td><td class=\"n\">")
          .append(fault.healed() ? seconds(fault.endNs()) : "never healed").append("</td><td>")
          .append(escape(fault.description())).append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private static String faultLabel(Timeline.FaultInterval fault) {
    return fault.id() + " " + fault.fault() + ": " + fault.description() + " (" + seconds(fault.startNs())
        + " s to " + (fault.healed() ? seconds(fault.endNs()) + " s" : "end, never healed") + ")";
  }

  private static void throughputSection(StringBuilder html, Timeline timeline) {
    html.append("<h2>Throughput (writes completed per second)</h2>\n");
    double max = 1;
    for (int i = 0; i < timeline.buckets; i++) {
      max = Math.max(max, timeline.perSecond(timeline.okPerBucket[i] + timeline.failPerBucket[i] + timeline.infoPerBucket[i]));
    }
    plot(html, timeline, max, new Series[] {
        new Series("ok", "#2e7d32", i -> timeline.perSecond(timeline.okPerBucket[i])),
        new Series("fail", "#c62828", i -> timeline.perSecond(timeline.failPerBucket[i])),
        new Series("info (indeterminate)", "#ef6c00", i -> timeline.perSecond(timeline.infoPerBucket[i]))});
  }

  private static void latencySection(StringBuilder html, Timeline timeline) {
    html.append("<h2>Latency of acknowledged writes (ms, by completion time)</h2>\n");
    double max = 1;
    for (int i = 0; i < timeline.buckets; i++) {
      if (!Double.isNaN(timeline.latencyMaxMs[i])) {
        max = Math.max(max, timeline.latencyMaxMs[i]);
      }
    }
    plot(html, timeline, max, new Series[] {
        new Series("p50", "#1565c0", i -> timeline.latencyP50Ms[i]),
        new Series("p99", "#6a1b9a", i -> timeline.latencyP99Ms[i]),
        new Series("max", "#9e9e9e", i -> timeline.latencyMaxMs[i])});
  }

  private record Series(String name, String colour, IntToDoubleFunction valueAt) {}

  private static void plot(StringBuilder html, Timeline timeline, double max, Series[] series) {
    int height = TOP + PLOT_HEIGHT + BOTTOM;
    html.append(svgOpen(height));
    for (Timeline.FaultInterval fault : timeline.faults) {
      double x0 = x(timeline, fault.startNs());
      double x1 = Math.max(x0 + 2, x(timeline, fault.endNs()));
      html.append(String.format(Locale.ROOT,
          "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" fill-opacity=\"0.18\"><title>%s</title></rect>\n",
          x0, TOP, x1 - x0, PLOT_HEIGHT, colour(timeline, fault.fault()), escape(faultLabel(fault))));
    }
    for (int tick = 0; tick <= 4; tick++) {
      double value = max * tick / 4;
      double y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * tick / 4.0;
      html.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
          LEFT, WIDTH - RIGHT, y, y, LEFT - 4, y + 4, number(value)));
    }
    int legendX = LEFT + 8;
    for (Series s : series) {
      StringBuilder points = new StringBuilder();
      for (int i = 0; i < timeline.buckets; i++) {
        double value = s.valueAt().applyAsDouble(i);
        if (Double.isNaN(value)) {
          if (points.length() > 0) {
            polyline(html, points, s.colour());
            points.setLength(0);
          }
          continue;
        }
        double x = x(timeline, i * timeline.bucketNs + timeline.bucketNs / 2);
        double y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * Math.min(1, value / max);
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      if (points.length() > 0) {
        polyline(html, points, s.colour());
      }
      html.append(String.format(Locale.ROOT,
          "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>\n",
          legendX, TOP - 18, s.colour(), legendX + 14, TOP - 9, escape(s.name())));
      legendX += 30 + 7 * s.name().length();
    }
    timeAxis(html, timeline, TOP + PLOT_HEIGHT);
    html.append("</svg>\n");
  }

  private static void polyline(StringBuilder html, StringBuilder points, String colour) {
    html.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(colour).append("\" points=\"")
        .append(points.toString().trim()).append("\"/>\n");
  }

  private static void anomaliesSection(StringBuilder html, Verdict verdict) {
    html.append("<h2>Anomalies</h2>\n<table><tr><th>kind</th><th>count</th><th>examples</th></tr>\n");
    for (AnomalyKind kind : AnomalyKind.values()) {
      long count = verdict.count(kind);
      html.append(count > 0 ? "<tr class=\"bad\">" : "<tr>").append("<td>").append(kind.jsonName())
          .append("</td><td class=\"n\">").append(count).append("</td><td>");
      List<Anomaly> examples = verdict.examples(kind);
      for (Anomaly anomaly : examples) {
        html.append("<div>").append(escape(anomaly.message())).append("</div>");
      }
      html.append("</td></tr>\n");
    }
    html.append("</table>\n");
  }

  private static void livenessSection(StringBuilder html, Verdict verdict) {
    var liveness = verdict.liveness();
    html.append("<h2>Liveness</h2>\n<table>\n");
    row(html, "verdict", liveness.valid() ? "ok" : "<b>failed</b>");
    for (String problem : liveness.problems()) {
      row(html, "problem", escape(problem));
    }
    row(html, "operations never completed", String.valueOf(liveness.pendingCount()));
    row(html, "last heal at", seconds(liveness.healNs()) + " s");
    row(html, "first write acknowledged after it",
        liveness.firstAckAfterHealNs() < 0 ? "none" : seconds(liveness.firstAckAfterHealNs() - liveness.healNs()) + " s later");
    row(html, "bound", seconds(liveness.recoveryTimeMaxNs()) + " s");
    html.append("</table>\n");
  }

  private static String svgOpen(int height) {
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + WIDTH + "\" height=\"" + height
        + "\" viewBox=\"0 0 " + WIDTH + " " + height + "\">\n";
  }

  private static void timeAxis(StringBuilder html, Timeline timeline, int y) {
    html.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n",
        LEFT, WIDTH - RIGHT, y, y));
    double seconds = timeline.endNs / 1e9;
    double step = niceStep(seconds / 10);
    for (double t = 0; t <= seconds + 1e-9; t += step) {
      double x = x(timeline, (long) (t * 1e9));
      html.append(String.format(Locale.ROOT,
          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#888\"/><text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%ss</text>\n",
          x, x, y, y + 4, x, y + 16, number(t)));
    }
  }

  private static double niceStep(double raw) {
    double[] steps = {0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600};
    for (double step : steps) {
      if (step >= raw) {
        return step;
      }
    }
    return Math.ceil(raw / 3600) * 3600;
  }

  private static double x(Timeline timeline, long timeNs) {
    return LEFT + (WIDTH - LEFT - RIGHT) * Math.min(1.0, Math.max(0.0, (double) timeNs / timeline.endNs));
  }

  /** A colour per fault kind, in order of first appearance, so that kinds are told apart. */
  private static String colour(Timeline timeline, String fault) {
    java.util.List<String> seen = new java.util.ArrayList<>();
    for (Timeline.FaultInterval interval : timeline.faults) {
      if (!seen.contains(interval.fault())) {
        seen.add(interval.fault());
      }
    }
    return FAULT_COLOURS[Math.max(0, seen.indexOf(fault)) % FAULT_COLOURS.length];
  }

  private static String seconds(long ns) {
    return String.format(Locale.ROOT, "%.3f", ns / 1e9);
  }

  private static String number(double value) {
    if (value >= 100 || value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    return String.format(Locale.ROOT, "%.1f", value);
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
