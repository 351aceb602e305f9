package dev.freshet.monitor.internal;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import dev.freshet.monitor.MonitorReport;
import dev.freshet.monitor.MonitorReport.AccuracyWindow;
import dev.freshet.monitor.MonitorReport.FeatureDrift;
import dev.freshet.monitor.MonitorReport.VersionStats;

/** The report's headline figures in the Prometheus text exposition format. */
final class PrometheusMetrics {
    private PrometheusMetrics() {
    }

    static String render(MonitorReport r) {
        StringBuilder out = new StringBuilder();
        String model = "model=\"" + escape(r.model()) + "\"";
        gauge(out, "freshet_monitor_examples_total", "Training examples (labelled predictions) read.", "counter");
        line(out, "freshet_monitor_examples_total", model, r.examplesSeen());
        gauge(out, "freshet_monitor_rolling_accuracy", "Accuracy over the most recent labelled predictions.", "gauge");
        if (r.rollingAccuracy().accuracy() != null) {
            line(out, "freshet_monitor_rolling_accuracy", model, r.rollingAccuracy().accuracy());
        }
        gauge(out, "freshet_monitor_label_coverage", "Predictions that got a label, as a share of those logged.", "gauge");
        if (r.labelCoverage().coverage() != null) {
            line(out, "freshet_monitor_label_coverage", model, r.labelCoverage().coverage());
        }
        gauge(out, "freshet_monitor_version_accuracy", "Accuracy of each version over all its labelled predictions.",
            "gauge");
        for (VersionStats v : r.versions()) {
            if (v.accuracy() != null) {
                line(out, "freshet_monitor_version_accuracy", model + ",version=\"" + v.version() + "\"", v.accuracy());
            }
        }
        Map<Long, AccuracyWindow> latest = new TreeMap<>();
        r.accuracyOverTime().forEach(w -> latest.put(w.version(), w));
        gauge(out, "freshet_monitor_version_log_loss", "Log loss of each version in its latest report window.", "gauge");
        latest.values().stream().filter(w -> w.logLoss() != null).forEach(w -> line(out,
            "freshet_monitor_version_log_loss", model + ",version=\"" + w.version() + "\"", w.logLoss()));
        gauge(out, "freshet_monitor_drift_psi", "PSI of each feature, current window against reference.", "gauge");
        gauge(out, "freshet_monitor_drift_ks", "Kolmogorov-Smirnov D of each numeric feature.", "gauge");
        gauge(out, "freshet_monitor_drift_chi2_p", "Chi-squared p-value of each categorical feature.", "gauge");
        if (r.drift() != null) {
            for (FeatureDrift f : r.drift().features()) {
                String labels = model + ",feature=\"" + escape(f.feature()) + "\",kind=\"" + f.kind() + "\"";
                line(out, "freshet_monitor_drift_psi", labels, f.psi());
                if (f.ks() != null) {
                    line(out, "freshet_monitor_drift_ks", labels, f.ks());
                }
                if (f.chiSquaredPValue() != null) {
                    line(out, "freshet_monitor_drift_chi2_p", labels, f.chiSquaredPValue());
                }
            }
        }
        gauge(out, "freshet_monitor_actions_total", "ROLLBACK and RETRAIN commands seen for the model.", "counter");
        Map<String, Long> byType = new TreeMap<>(Map.of("ROLLBACK", 0L, "RETRAIN", 0L));
        r.actions().forEach(a -> byType.merge(a.type(), 1L, Long::sum));
        byType.forEach((type, n) -> line(out, "freshet_monitor_actions_total", model + ",type=\"" + type + "\"", n));
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void line(StringBuilder out, String name, String labels, double value) {
        out.append(name).append('{').append(labels).append("} ").append(String.format(Locale.ROOT, "%s", value))
            .append('\n');
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
