package dev.freshet.monitor.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import dev.freshet.monitor.MonitorReport;
import dev.freshet.monitor.MonitorReport.AccuracyWindow;
import dev.freshet.monitor.MonitorReport.Action;
import dev.freshet.monitor.MonitorReport.Calibration;
import dev.freshet.monitor.MonitorReport.DriftEvent;
import dev.freshet.monitor.MonitorReport.DriftSnapshot;
import dev.freshet.monitor.MonitorReport.ExampleWindow;
import dev.freshet.monitor.MonitorReport.FeatureDrift;
import dev.freshet.monitor.MonitorReport.ReliabilityBin;
import dev.freshet.monitor.MonitorReport.VersionStats;

/**
 * The report as one self-contained HTML page. Charts are inline SVG drawn here, so the page needs no script and
 * no network: it renders the same from a file, behind a firewall, or in a mail attachment. Every chart's caption
 * says its window, its reference and its model version(s).
 */
public final class ReportHtml {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE_TIME =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
        "#17becf", "#bcbd22", "#7f7f7f", "#393b79"};
    private static final String RETRAIN_COLOUR = "#1f5fbf";
    private static final String ROLLBACK_COLOUR = "#d62728";
    private static final int WIDTH = 760;
    private static final int HEIGHT = 280;
    private static final int LEFT = 56;
    private static final int RIGHT = 16;
    private static final int TOP = 20;
    private static final int BOTTOM = 40;
    /** The reliability diagram shows this many of the newest versions with enough scored predictions. */
    private static final int CALIBRATION_VERSIONS = 4;
    private static final int CALIBRATION_MIN_SCORED = 20;

    private ReportHtml() {
    }

    /** The page, static. */
    public static String render(MonitorReport r) {
        return render(r, 0);
    }

    /** The page; with {@code refreshSeconds} &gt; 0 it reloads itself that often (the live report). */
    static String render(MonitorReport r, int refreshSeconds) {
        StringBuilder h = new StringBuilder(64 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        if (refreshSeconds > 0) {
            h.append("<meta http-equiv=\"refresh\" content=\"").append(refreshSeconds).append("\">");
        }
        h.append("<title>Freshet monitor: model ").append(esc(r.model())).append("</title><style>")
            .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}")
            .append("h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}")
            .append("table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ddd;")
            .append("padding:3px 7px;text-align:right}th{background:#f4f4f4}td.t{text-align:left}")
            .append(".caption{font-size:13px;color:#555;margin:4px 0 8px}.chart{display:block;margin:6px 0}")
            .append(".grid{display:flex;flex-wrap:wrap;gap:12px}.bad{color:#d62728;font-weight:600}")
            .append("svg text{font-family:system-ui,sans-serif}</style></head><body>\n");
        header(h, r);
        accuracySection(h, r);
        driftSection(h, r);
        calibrationSection(h, r);
        versionsTable(h, r);
        actionsTable(h, r);
        driftEventsTable(h, r);
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void header(StringBuilder h, MonitorReport r) {
        h.append("<h1>Model <code>").append(esc(r.model())).append("</code></h1>\n<table>");
        row(h, "generated", DATE_TIME.format(Instant.ofEpochMilli(r.generatedAtMs())));
        row(h, "monitoring since (every figure covers what was read since)",
            DATE_TIME.format(Instant.ofEpochMilli(r.monitoringSinceMs())));
        row(h, "labelled predictions read", Long.toString(r.examplesSeen()));
        row(h, "unreadable records (counted, skipped)", Long.toString(r.badRecords()));
        row(h, "label coverage (labelled / logged predictions)", r.labelCoverage().predictionsLogged() == 0 ? "-"
            : r.labelCoverage().labelled() + " / " + r.labelCoverage().predictionsLogged() + " = "
                + pct(r.labelCoverage().coverage()));
        var rolling = r.rollingAccuracy();
        row(h, "rolling accuracy (last " + rolling.windowExamples() + " labelled)", rolling.accuracy() == null ? "-"
            : pct(rolling.accuracy()) + " over " + rolling.examples() + " predictions of "
                + versionsList(rolling.examplesByVersion().keySet()) + ", predicted "
                + TIME.format(Instant.ofEpochMilli(rolling.fromPredictedAtMs())) + "-"
                + TIME.format(Instant.ofEpochMilli(rolling.toPredictedAtMs())) + " UTC");
        var f = r.freshness();
        row(h, "label-to-serving freshness p50 / p90 / p99", f.count() == 0 ? "-"
            : f.p50Ms() + " / " + f.p90Ms() + " / " + f.p99Ms() + " ms over " + f.count() + " examples");
        long rollbacks = r.actions().stream().filter(a -> a.type().equals("ROLLBACK")).count();
        row(h, "actions", rollbacks + " rollback(s), " + (r.actions().size() - rollbacks) + " retrain(s)");
        h.append("</table>\n");
    }

    // ---- accuracy over time ------------------------------------------------------------------------------------

    private static void accuracySection(StringBuilder h, MonitorReport r) {
        h.append("<h2>Accuracy per version over time</h2>\n");
        List<AccuracyWindow> windows = r.accuracyOverTime();
        if (windows.isEmpty()) {
            h.append("<p class=\"caption\">No labelled prediction yet: labels arrive after the predictions they "
                + "answer.</p>\n");
            return;
        }
        long width = windows.get(0).toMs() - windows.get(0).fromMs();
        h.append("<p class=\"caption\">Each point: one version's labelled predictions made in a ")
            .append(width / 1000.0).append(" s window (by prediction time, UTC), placed at the window's middle and ")
            .append("sized by their number; the black line is all versions together. Vertical lines: ")
            .append("<span style=\"color:" + RETRAIN_COLOUR + "\">RETRAIN</span> and ")
            .append("<span style=\"color:" + ROLLBACK_COLOUR + "\">ROLLBACK</span> commands, labelled with the ")
            .append("version they target; orange triangles on the axis: the error rate's change detector alarmed ")
            .append("(at the newest prediction it had seen).</p>\n");
        timeChart(h, "chart-accuracy", "accuracy", r, windows, w -> w.accuracy(), 0, 1);
        if (windows.stream().anyMatch(w -> w.auc() != null)) {
            h.append("<p class=\"caption\">AUC of the positive-class score, per version and window (windows where "
                + "both labels occur).</p>\n");
            timeChart(h, "chart-auc", "AUC", r, windows, AccuracyWindow::auc, 0, 1);
        }
        if (windows.stream().anyMatch(w -> w.logLoss() != null)) {
            double max = windows.stream().filter(w -> w.logLoss() != null).mapToDouble(AccuracyWindow::logLoss)
                .max().orElse(1);
            h.append("<p class=\"caption\">Log loss of the positive-class score, per version and window (lower is "
                + "better).</p>\n");
            timeChart(h, "chart-log-loss", "log loss", r, windows, AccuracyWindow::logLoss, 0, niceCeil(max));
        }
    }

    private static void timeChart(StringBuilder h, String id, String metric, MonitorReport r,
                                  List<AccuracyWindow> windows, Function<AccuracyWindow, Double> value,
                                  double yMin, double yMax) {
        long x0 = windows.stream().mapToLong(AccuracyWindow::fromMs).min().orElseThrow();
        long x1 = windows.stream().mapToLong(AccuracyWindow::toMs).max().orElseThrow();
        Plot p = new Plot(x0, x1, yMin, yMax);
        svgOpen(h, id, metric + " per model version over time");
        p.axes(h, metric);
        p.timeTicks(h);
        // All versions together, window by window.
        Map<Long, double[]> overall = new TreeMap<>();
        for (AccuracyWindow w : windows) {
            Double v = value.apply(w);
            if (v != null) {
                double[] acc = overall.computeIfAbsent(w.fromMs(), k -> new double[2]);
                acc[0] += v * w.labelled();
                acc[1] += w.labelled();
            }
        }
        long half = (windows.get(0).toMs() - windows.get(0).fromMs()) / 2;
        StringBuilder line = new StringBuilder();
        overall.forEach((from, acc) -> line.append(fmt(p.x(from + half))).append(',')
            .append(fmt(p.y(acc[0] / acc[1]))).append(' '));
        if (!overall.isEmpty()) {
            h.append("<polyline class=\"series-all\" fill=\"none\" stroke=\"#000\" stroke-width=\"2\" points=\"")
                .append(line.toString().trim()).append("\"/>");
        }
        long maxCount = windows.stream().mapToLong(AccuracyWindow::labelled).max().orElse(1);
        Map<Long, List<AccuracyWindow>> byVersion = new TreeMap<>();
        windows.forEach(w -> byVersion.computeIfAbsent(w.version(), k -> new ArrayList<>()).add(w));
        byVersion.forEach((version, ws) -> {
            String colour = PALETTE[(int) (version % PALETTE.length)];
            StringBuilder pts = new StringBuilder();
            for (AccuracyWindow w : ws) {
                Double v = value.apply(w);
                if (v == null) {
                    continue;
                }
                double cx = p.x(w.fromMs() + half);
                double cy = p.y(v);
                pts.append(fmt(cx)).append(',').append(fmt(cy)).append(' ');
                double radius = 2.5 + 4.5 * Math.sqrt((double) w.labelled() / maxCount);
                h.append("<circle class=\"point\" cx=\"").append(fmt(cx)).append("\" cy=\"").append(fmt(cy))
                    .append("\" r=\"").append(fmt(radius)).append("\" fill=\"").append(colour)
                    .append("\" fill-opacity=\"0.75\"><title>v").append(version).append(' ').append(metric)
                    .append(' ').append(String.format(Locale.ROOT, "%.3f", v)).append(" over ").append(w.labelled())
                    .append(" labelled, predicted ").append(TIME.format(Instant.ofEpochMilli(w.fromMs()))).append('-')
                    .append(TIME.format(Instant.ofEpochMilli(w.toMs()))).append(" UTC</title></circle>");
            }
            if (pts.length() > 0 && ws.size() > 1) {
                h.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1\" points=\"")
                    .append(pts.toString().trim()).append("\"/>");
            }
        });
        int drawn = 0;
        for (Action a : r.actions()) {
            if (a.issuedAtMs() < x0 || a.issuedAtMs() > x1) {
                continue;
            }
            // Staggered, so that labels of commands close in time do not overprint each other.
            int labelY = TOP + 10 + 12 * (drawn++ % 4);
            boolean rollback = a.type().equals("ROLLBACK");
            String colour = rollback ? ROLLBACK_COLOUR : RETRAIN_COLOUR;
            double x = p.x(a.issuedAtMs());
            h.append("<g class=\"marker marker-").append(rollback ? "rollback" : "retrain").append("\"><line x1=\"")
                .append(fmt(x)).append("\" x2=\"").append(fmt(x)).append("\" y1=\"").append(TOP).append("\" y2=\"")
                .append(HEIGHT - BOTTOM).append("\" stroke=\"").append(colour).append("\" stroke-width=\"2\"")
                .append(rollback ? "" : " stroke-dasharray=\"5,3\"").append("/><text x=\"").append(fmt(x + 3))
                .append("\" y=\"").append(labelY).append("\" font-size=\"11\" fill=\"").append(colour).append("\">")
                .append(rollback ? "ROLLBACK v" + a.targetVersion() + "→v" + a.restoreVersion() : "RETRAIN")
                .append("</text><title>").append(esc(a.type() + " by " + a.issuedBy() + " at "
                    + DATE_TIME.format(Instant.ofEpochMilli(a.issuedAtMs())) + ": " + a.reason()))
                .append("</title></g>");
        }
        for (DriftEvent e : r.driftEvents()) {
            long at = e.current().toPredictedAtMs();
            if (!e.feature().equals(MonitorEngine.ERROR_RATE) || at < x0 || at > x1) {
                continue;
            }
            double x = p.x(at);
            double y = HEIGHT - BOTTOM;
            h.append("<path class=\"marker marker-error-change\" d=\"M").append(fmt(x - 6)).append(' ').append(fmt(y))
                .append(" L").append(fmt(x + 6)).append(' ').append(fmt(y)).append(" L").append(fmt(x)).append(' ')
                .append(fmt(y - 11)).append(" Z\" fill=\"#ff7f0e\"><title>").append(esc("error rate rose ("
                    + e.statistic() + " " + num(e.value()) + " > " + num(e.threshold()) + ") over "
                    + describe(e.current()) + ": " + e.outcome())).append("</title></path>");
        }
        h.append("</svg>\n");
    }

    // ---- drift ---------------------------------------------------------------------------------------------------

    private static void driftSection(StringBuilder h, MonitorReport r) {
        h.append("<h2>Drift: current window against reference</h2>\n");
        DriftSnapshot d = r.drift();
        if (d == null) {
            h.append("<p class=\"caption\">No comparison yet: the reference window and a full current window must "
                + "fill first (").append(r.examplesSeen()).append(" labelled predictions read).</p>\n");
            return;
        }
        h.append("<p class=\"caption\">Reference: ").append(describe(d.reference())).append(". Current: ")
            .append(describe(d.current())).append(". Compared at ")
            .append(DATE_TIME.format(Instant.ofEpochMilli(d.checkedAtMs()))).append(", ")
            .append(d.servingVersion() < 0 ? "no version serving yet" : "v" + d.servingVersion() + " serving")
            .append(". Ranked by PSI; the line marks the retrain threshold (")
            .append(fmt(d.psiThreshold())).append(", numeric features only).</p>\n");
        driftRanked(h, d);
        h.append("<table><tr><th>feature</th><th>kind</th><th>PSI</th><th>KS D</th><th>KS p</th><th>χ²</th>")
            .append("<th>χ² p</th><th>drifted</th></tr>");
        for (FeatureDrift f : d.features()) {
            h.append("<tr><td class=\"t\">").append(esc(f.feature())).append("</td><td class=\"t\">").append(f.kind())
                .append("</td><td>").append(num(f.psi())).append("</td><td>").append(num(f.ks())).append("</td><td>")
                .append(esc(pValue(f.ksPValue()))).append("</td><td>").append(num(f.chiSquared())).append("</td><td>")
                .append(esc(pValue(f.chiSquaredPValue()))).append("</td><td")
                .append(f.drifted() ? " class=\"bad\">yes" : ">no").append("</td></tr>");
        }
        h.append("</table>\n<h2>Distributions: reference against current</h2>\n<p class=\"caption\">")
            .append("Share of each window per bin (numeric: the reference's deciles; otherwise categories). ")
            .append("Grey: reference ").append(describe(d.reference())).append("; orange: current ")
            .append(describe(d.current())).append(".</p>\n<div class=\"grid\">");
        for (FeatureDrift f : d.features()) {
            distribution(h, f);
        }
        h.append("</div>\n");
    }

    private static void driftRanked(StringBuilder h, DriftSnapshot d) {
        List<FeatureDrift> features = d.features();
        int barHeight = 22;
        int height = TOP + BOTTOM + barHeight * Math.max(1, features.size());
        int labelWidth = 130;
        double max = Math.max(d.psiThreshold() * 1.2, features.stream().mapToDouble(FeatureDrift::psi).max().orElse(0));
        max = niceCeil(max);
        double plotWidth = WIDTH - labelWidth - RIGHT - 60;
        h.append("<svg class=\"chart\" id=\"chart-drift\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH)
            .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height)
            .append("\" role=\"img\" aria-label=\"drift scores ranked\">");
        for (int i = 0; i < features.size(); i++) {
            FeatureDrift f = features.get(i);
            double y = TOP + i * barHeight;
            double w = Math.max(1, plotWidth * f.psi() / max);
            String colour = f.drifted() ? ROLLBACK_COLOUR : f.psi() > d.psiThreshold() ? "#ff7f0e" : "#4c78a8";
            h.append("<text x=\"").append(labelWidth - 6).append("\" y=\"").append(fmt(y + 15))
                .append("\" font-size=\"12\" text-anchor=\"end\">").append(esc(f.feature())).append("</text>")
                .append("<rect class=\"bar\" x=\"").append(labelWidth).append("\" y=\"").append(fmt(y + 3))
                .append("\" width=\"").append(fmt(w)).append("\" height=\"").append(barHeight - 6)
                .append("\" fill=\"").append(colour).append("\"><title>").append(esc(f.feature())).append(" PSI ")
                .append(num(f.psi())).append("</title></rect><text x=\"").append(fmt(labelWidth + w + 4))
                .append("\" y=\"").append(fmt(y + 15)).append("\" font-size=\"11\">").append(num(f.psi()))
                .append("</text>");
        }
        double tx = labelWidth + plotWidth * d.psiThreshold() / max;
        h.append("<line x1=\"").append(fmt(tx)).append("\" x2=\"").append(fmt(tx)).append("\" y1=\"").append(TOP - 4)
            .append("\" y2=\"").append(height - BOTTOM + 4).append("\" stroke=\"#d62728\" stroke-dasharray=\"4,3\"/>")
            .append("<text x=\"").append(fmt(tx + 3)).append("\" y=\"").append(height - BOTTOM + 16)
            .append("\" font-size=\"11\" fill=\"#d62728\">threshold ").append(fmt(d.psiThreshold())).append("</text>")
            .append("<text x=\"").append(labelWidth).append("\" y=\"").append(height - 6)
            .append("\" font-size=\"11\">PSI (0 to ").append(fmt(max)).append(")</text></svg>\n");
    }

    private static void distribution(StringBuilder h, FeatureDrift f) {
        int width = 360;
        int height = 200;
        int left = 40;
        int bottom = 46;
        int top = 34;
        int bins = f.bins().size();
        double max = 0;
        for (int i = 0; i < bins; i++) {
            max = Math.max(max, Math.max(f.referenceShares().get(i), f.currentShares().get(i)));
        }
        max = max <= 0 ? 1 : niceCeil(max);
        double slot = (double) (width - left - 8) / Math.max(1, bins);
        double plotHeight = height - top - bottom;
        h.append("<svg class=\"chart chart-distribution\" data-feature=\"").append(esc(f.feature()))
            .append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
            .append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
            .append("\" role=\"img\" aria-label=\"distribution of ").append(esc(f.feature())).append("\">")
            .append("<text x=\"4\" y=\"14\" font-size=\"13\" font-weight=\"600\">").append(esc(f.feature()))
            .append("</text><text x=\"4\" y=\"28\" font-size=\"11\" fill=\"#555\">").append(esc(statLine(f)))
            .append("</text><line x1=\"").append(left).append("\" x2=\"").append(width - 8).append("\" y1=\"")
            .append(height - bottom).append("\" y2=\"").append(height - bottom).append("\" stroke=\"#999\"/>")
            .append("<text x=\"").append(left - 4).append("\" y=\"").append(top + 4)
            .append("\" font-size=\"10\" text-anchor=\"end\">").append(pct(max)).append("</text>");
        for (int i = 0; i < bins; i++) {
            double x = left + i * slot;
            double bw = Math.max(1, slot / 2 - 1);
            double rh = plotHeight * f.referenceShares().get(i) / max;
            double ch = plotHeight * f.currentShares().get(i) / max;
            h.append("<rect class=\"bar bar-reference\" x=\"").append(fmt(x + 1)).append("\" y=\"")
                .append(fmt(height - bottom - rh)).append("\" width=\"").append(fmt(bw)).append("\" height=\"")
                .append(fmt(rh)).append("\" fill=\"#9e9e9e\"><title>reference ").append(esc(f.bins().get(i)))
                .append(": ").append(pct(f.referenceShares().get(i))).append("</title></rect>")
                .append("<rect class=\"bar bar-current\" x=\"").append(fmt(x + 1 + bw)).append("\" y=\"")
                .append(fmt(height - bottom - ch)).append("\" width=\"").append(fmt(bw)).append("\" height=\"")
                .append(fmt(ch)).append("\" fill=\"#ff7f0e\"><title>current ").append(esc(f.bins().get(i)))
                .append(": ").append(pct(f.currentShares().get(i))).append("</title></rect>");
            double lx = x + slot / 2;
            double ly = height - bottom + 10;
            h.append("<text x=\"").append(fmt(lx)).append("\" y=\"").append(fmt(ly))
                .append("\" font-size=\"9\" text-anchor=\"end\" transform=\"rotate(-40 ").append(fmt(lx)).append(' ')
                .append(fmt(ly)).append(")\">").append(esc(f.bins().get(i))).append("</text>");
        }
        h.append("</svg>");
    }

    private static String statLine(FeatureDrift f) {
        StringBuilder s = new StringBuilder(f.kind()).append(": PSI ").append(num(f.psi()));
        if (f.ks() != null) {
            s.append(", KS D ").append(num(f.ks())).append(" (p ").append(pValue(f.ksPValue())).append(')');
        }
        if (f.chiSquared() != null) {
            s.append(", χ² ").append(num(f.chiSquared())).append(" (p ").append(pValue(f.chiSquaredPValue()))
                .append(')');
        }
        return s.toString();
    }

    // ---- calibration ---------------------------------------------------------------------------------------------

    private static void calibrationSection(StringBuilder h, MonitorReport r) {
        List<Calibration> shown = r.calibration().stream().filter(c -> c.scored() >= CALIBRATION_MIN_SCORED)
            .sorted(Comparator.comparingLong(Calibration::version).reversed()).limit(CALIBRATION_VERSIONS).toList();
        if (shown.isEmpty()) {
            return;
        }
        h.append("<h2>Calibration (reliability)</h2>\n<p class=\"caption\">Share of positive labels against the mean ")
            .append("score, per score decile, for the newest versions with at least ").append(CALIBRATION_MIN_SCORED)
            .append(" scored labelled predictions (all their windows). The diagonal is perfect calibration.</p>\n");
        int size = 300;
        Plot p = new Plot(0, 1, 0, 1, size, size);
        h.append("<svg class=\"chart\" id=\"chart-calibration\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
            .append(size).append("\" height=\"").append(size).append("\" viewBox=\"0 0 ").append(size).append(' ')
            .append(size).append("\" role=\"img\" aria-label=\"reliability diagram\">");
        p.axes(h, "observed rate");
        h.append("<line x1=\"").append(fmt(p.x(0))).append("\" y1=\"").append(fmt(p.y(0))).append("\" x2=\"")
            .append(fmt(p.x(1))).append("\" y2=\"").append(fmt(p.y(1))).append("\" stroke=\"#bbb\" stroke-dasharray=\"4,3\"/>");
        int legendY = TOP + 4;
        for (Calibration c : shown) {
            String colour = PALETTE[(int) (c.version() % PALETTE.length)];
            StringBuilder pts = new StringBuilder();
            for (ReliabilityBin b : c.bins()) {
                if (b.count() == 0) {
                    continue;
                }
                double cx = p.x(b.meanScore());
                double cy = p.y(b.observedRate());
                pts.append(fmt(cx)).append(',').append(fmt(cy)).append(' ');
                h.append("<circle class=\"point\" cx=\"").append(fmt(cx)).append("\" cy=\"").append(fmt(cy))
                    .append("\" r=\"3\" fill=\"").append(colour).append("\"><title>v").append(c.version())
                    .append(": score ").append(num(b.meanScore())).append(", observed ").append(num(b.observedRate()))
                    .append(" over ").append(b.count()).append("</title></circle>");
            }
            h.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" points=\"")
                .append(pts.toString().trim()).append("\"/><text x=\"").append(LEFT + 6).append("\" y=\"")
                .append(legendY += 13).append("\" font-size=\"11\" fill=\"").append(colour).append("\">v")
                .append(c.version()).append(" (").append(c.scored()).append(")</text>");
        }
        h.append("<text x=\"").append(LEFT).append("\" y=\"").append(size - 6)
            .append("\" font-size=\"11\">mean score</text></svg>\n");
    }

    // ---- tables --------------------------------------------------------------------------------------------------

    private static void versionsTable(StringBuilder h, MonitorReport r) {
        h.append("<h2>Versions</h2>\n<table><tr><th>version</th><th>parent</th><th>origin</th><th>published</th>")
            .append("<th>first served</th><th>served</th><th>labelled</th><th>label coverage</th><th>accuracy</th>")
            .append("<th>barred</th></tr>");
        List<VersionStats> versions = new ArrayList<>(r.versions());
        java.util.Collections.reverse(versions);
        for (VersionStats v : versions) {
            h.append("<tr><td>v").append(v.version()).append("</td><td>")
                .append(v.parentVersion() < 0 ? "?" : v.parentVersion() == 0 ? "-" : "v" + v.parentVersion())
                .append("</td><td class=\"t\">").append(v.origin()).append("</td><td>").append(time(v.publishedAtMs()))
                .append("</td><td>").append(time(v.firstServedAtMs())).append("</td><td>").append(v.predictionsServed())
                .append("</td><td>").append(v.labelledPredictions()).append("</td><td>").append(pct(v.labelCoverage()))
                .append("</td><td>").append(pct(v.accuracy())).append("</td><td")
                .append(v.barred() ? " class=\"bad\">barred" : ">").append("</td></tr>");
        }
        h.append("</table>\n");
    }

    private static void actionsTable(StringBuilder h, MonitorReport r) {
        h.append("<h2>Actions</h2>\n");
        if (r.actions().isEmpty()) {
            h.append("<p class=\"caption\">No rollback or retrain for this model.</p>\n");
            return;
        }
        h.append("<table><tr><th>issued</th><th>type</th><th>target</th><th>restore</th><th>by</th><th>reason</th>")
            .append("<th>figures</th></tr>");
        for (Action a : r.actions()) {
            Map<String, Double> evidence = new LinkedHashMap<>(a.evidence());
            StringBuilder figures = new StringBuilder();
            evidence.forEach((k, v) -> figures.append(esc(k)).append('=').append(num(v)).append("<br>"));
            h.append("<tr><td>").append(DATE_TIME.format(Instant.ofEpochMilli(a.issuedAtMs()))).append("</td><td")
                .append(a.type().equals("ROLLBACK") ? " class=\"bad\"" : "").append('>').append(a.type())
                .append("</td><td>v").append(a.targetVersion()).append("</td><td>")
                .append(a.type().equals("ROLLBACK") ? "v" + a.restoreVersion() : "-").append("</td><td class=\"t\">")
                .append(esc(a.issuedBy())).append("</td><td class=\"t\">").append(esc(a.reason()))
                .append("</td><td class=\"t\">").append(figures).append("</td></tr>");
        }
        h.append("</table>\n");
    }

    private static void driftEventsTable(StringBuilder h, MonitorReport r) {
        if (r.driftEvents().isEmpty()) {
            return;
        }
        h.append("<h2>Drift events</h2>\n<table><tr><th>detected</th><th>feature</th><th>statistic</th>")
            .append("<th>value</th><th>threshold</th><th>reference</th><th>current</th><th>serving</th>")
            .append("<th>outcome</th></tr>");
        for (DriftEvent e : r.driftEvents()) {
            h.append("<tr><td>").append(DATE_TIME.format(Instant.ofEpochMilli(e.detectedAtMs()))).append("</td>")
                .append("<td class=\"t\">").append(esc(e.feature())).append("</td><td>").append(e.statistic())
                .append("</td><td>").append(num(e.value())).append("</td><td>").append(num(e.threshold()))
                .append("</td><td class=\"t\">").append(describe(e.reference())).append("</td><td class=\"t\">")
                .append(describe(e.current())).append("</td><td>")
                .append(e.servingVersion() < 0 ? "-" : "v" + e.servingVersion()).append("</td><td class=\"t\">")
                .append(esc(e.outcome())).append("</td></tr>");
        }
        h.append("</table>\n");
    }

    // ---- drawing helpers ---------------------------------------------------------------------------------------

    /** Maps data coordinates into a chart's plotting area. */
    private static final class Plot {
        final double x0;
        final double x1;
        final double y0;
        final double y1;
        final int width;
        final int height;

        Plot(double x0, double x1, double y0, double y1) {
            this(x0, x1, y0, y1, WIDTH, HEIGHT);
        }

        Plot(double x0, double x1, double y0, double y1, int width, int height) {
            this.x0 = x0;
            this.x1 = x1 > x0 ? x1 : x0 + 1;
            this.y0 = y0;
            this.y1 = y1 > y0 ? y1 : y0 + 1;
            this.width = width;
            this.height = height;
        }

        double x(double v) {
            return LEFT + (width - LEFT - RIGHT) * (v - x0) / (x1 - x0);
        }

        double y(double v) {
            return height - BOTTOM - (height - TOP - BOTTOM) * (v - y0) / (y1 - y0);
        }

        void axes(StringBuilder h, String yLabel) {
            h.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"")
                .append(width - LEFT - RIGHT).append("\" height=\"").append(height - TOP - BOTTOM)
                .append("\" fill=\"#fafafa\" stroke=\"#ccc\"/>");
            for (int i = 0; i <= 4; i++) {
                double v = y0 + (y1 - y0) * i / 4;
                double y = y(v);
                h.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(width - RIGHT).append("\" y1=\"")
                    .append(fmt(y)).append("\" y2=\"").append(fmt(y)).append("\" stroke=\"#e5e5e5\"/><text x=\"")
                    .append(LEFT - 4).append("\" y=\"").append(fmt(y + 4)).append("\" font-size=\"10\" ")
                    .append("text-anchor=\"end\">").append(fmt(v)).append("</text>");
            }
            h.append("<text x=\"12\" y=\"").append(TOP + (height - TOP - BOTTOM) / 2).append("\" font-size=\"11\" ")
                .append("transform=\"rotate(-90 12 ").append(TOP + (height - TOP - BOTTOM) / 2).append(")\" ")
                .append("text-anchor=\"middle\">").append(esc(yLabel)).append("</text>");
        }

        void timeTicks(StringBuilder h) {
            for (int i = 0; i <= 5; i++) {
                double t = x0 + (x1 - x0) * i / 5;
                double x = x(t);
                h.append("<text x=\"").append(fmt(x)).append("\" y=\"").append(height - BOTTOM + 16)
                    .append("\" font-size=\"10\" text-anchor=\"").append(i == 0 ? "start" : i == 5 ? "end" : "middle")
                    .append("\">").append(TIME.format(Instant.ofEpochMilli((long) t))).append("</text>");
            }
            h.append("<text x=\"").append(width - RIGHT).append("\" y=\"").append(height - 6)
                .append("\" font-size=\"11\" text-anchor=\"end\">prediction time (UTC)</text>");
        }
    }

    private static void svgOpen(StringBuilder h, String id, String label) {
        h.append("<svg class=\"chart\" id=\"").append(id).append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"")
            .append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
            .append(HEIGHT).append("\" role=\"img\" aria-label=\"").append(esc(label)).append("\">");
    }

    private static void row(StringBuilder h, String name, String value) {
        h.append("<tr><th style=\"text-align:left\">").append(esc(name)).append("</th><td class=\"t\">")
            .append(esc(value)).append("</td></tr>");
    }

    private static String describe(ExampleWindow w) {
        return String.format(Locale.ROOT, "examples #%d-#%d, predicted %s-%s UTC", w.firstExample(), w.lastExample(),
            TIME.format(Instant.ofEpochMilli(w.fromPredictedAtMs())),
            TIME.format(Instant.ofEpochMilli(w.toPredictedAtMs())));
    }

    private static String versionsList(java.util.Collection<Long> versions) {
        if (versions.isEmpty()) {
            return "no version";
        }
        List<Long> sorted = versions.stream().sorted().toList();
        return sorted.size() == 1 ? "v" + sorted.get(0)
            : "v" + sorted.get(0) + "-v" + sorted.get(sorted.size() - 1);
    }

    /** 1, 2 or 5 times a power of ten, at or above {@code v}. */
    static double niceCeil(double v) {
        if (v <= 0 || Double.isNaN(v)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String time(Long ms) {
        return ms == null ? "-" : TIME.format(Instant.ofEpochMilli(ms));
    }

    private static String pct(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String num(Double v) {
        if (v == null) {
            return "-";
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : "%.3f", v);
    }

    private static String pValue(Double p) {
        if (p == null) {
            return "-";
        }
        return p < 1e-4 ? "<0.0001" : String.format(Locale.ROOT, "%.4f", p);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String esc(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
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
