package dev.freshet.monitor.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

import dev.freshet.monitor.MonitorReport;
import dev.freshet.monitor.MonitorReport.AccuracyWindow;
import dev.freshet.monitor.MonitorReport.FeatureDrift;
import dev.freshet.monitor.MonitorReport.VersionStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * The report's headline figures as Prometheus metrics. Every scrape takes one report snapshot, so the figures of
 * one scrape agree with each other (and with the HTML and JSON of the same moment). A family without a value yet
 * (no drift comparison so far, no accuracy before the first label) is left out of the scrape. Thread-safe.
 */
final class PrometheusMetrics implements MultiCollector {
    // Counters are named without their _total suffix, which the exposition adds.
    private static final String EXAMPLES = "freshet_monitor_examples";
    private static final String ROLLING_ACCURACY = "freshet_monitor_rolling_accuracy";
    private static final String LABEL_COVERAGE = "freshet_monitor_label_coverage";
    private static final String VERSION_ACCURACY = "freshet_monitor_version_accuracy";
    private static final String VERSION_LOG_LOSS = "freshet_monitor_version_log_loss";
    private static final String DRIFT_PSI = "freshet_monitor_drift_psi";
    private static final String DRIFT_KS = "freshet_monitor_drift_ks";
    private static final String DRIFT_CHI2_P = "freshet_monitor_drift_chi2_p";
    private static final String ACTIONS = "freshet_monitor_actions";

    private final Supplier<MonitorReport> reports;

    PrometheusMetrics(Supplier<MonitorReport> reports) {
        this.reports = reports;
    }

    @Override
    public MetricSnapshots collect() {
        return snapshots(reports.get());
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(EXAMPLES, ROLLING_ACCURACY, LABEL_COVERAGE, VERSION_ACCURACY, VERSION_LOG_LOSS, DRIFT_PSI,
            DRIFT_KS, DRIFT_CHI2_P, ACTIONS);
    }

    static MetricSnapshots snapshots(MonitorReport r) {
        Labels model = Labels.of("model", r.model());
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(counter(EXAMPLES, "Training examples (labelled predictions) read.",
            List.of(point(model, r.examplesSeen()))));
        Gauge rolling = new Gauge(ROLLING_ACCURACY, "Accuracy over the most recent labelled predictions.");
        rolling.add(model, r.rollingAccuracy().accuracy());
        Gauge coverage = new Gauge(LABEL_COVERAGE, "Predictions that got a label, as a share of those logged.");
        coverage.add(model, r.labelCoverage().coverage());
        Gauge versionAccuracy = new Gauge(VERSION_ACCURACY, "Accuracy of each version over all its labelled "
            + "predictions.");
        for (VersionStats v : r.versions()) {
            versionAccuracy.add(model.add("version", Long.toString(v.version())), v.accuracy());
        }
        Map<Long, AccuracyWindow> latest = new TreeMap<>();
        r.accuracyOverTime().forEach(w -> latest.put(w.version(), w));
        Gauge logLoss = new Gauge(VERSION_LOG_LOSS, "Log loss of each version in its latest report window.");
        latest.values().forEach(w -> logLoss.add(model.add("version", Long.toString(w.version())), w.logLoss()));
        Gauge psi = new Gauge(DRIFT_PSI, "PSI of each feature, current window against reference.");
        Gauge ks = new Gauge(DRIFT_KS, "Kolmogorov-Smirnov D of each numeric feature.");
        Gauge chi2p = new Gauge(DRIFT_CHI2_P, "Chi-squared p-value of each categorical feature.");
        if (r.drift() != null) {
            for (FeatureDrift f : r.drift().features()) {
                Labels labels = model.add("feature", f.feature()).add("kind", f.kind());
                psi.add(labels, f.psi());
                ks.add(labels, f.ks());
                chi2p.add(labels, f.chiSquaredPValue());
            }
        }
        Map<String, Long> byType = new TreeMap<>(Map.of("ROLLBACK", 0L, "RETRAIN", 0L));
        r.actions().forEach(a -> byType.merge(a.type(), 1L, Long::sum));
        List<CounterDataPointSnapshot> actions = new ArrayList<>();
        byType.forEach((type, n) -> actions.add(point(model.add("type", type), n)));
        for (Gauge gauge : List.of(rolling, coverage, versionAccuracy, logLoss, psi, ks, chi2p)) {
            gauge.snapshot().ifPresent(out::add);
        }
        out.add(counter(ACTIONS, "ROLLBACK and RETRAIN commands seen for the model.", actions));
        return new MetricSnapshots(out);
    }

    private static CounterSnapshot counter(String name, String help, List<CounterDataPointSnapshot> points) {
        CounterSnapshot.Builder counter = CounterSnapshot.builder().name(name).help(help);
        points.forEach(counter::dataPoint);
        return counter.build();
    }

    private static CounterDataPointSnapshot point(Labels labels, long value) {
        return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    /** One gauge family being filled; a figure not known yet (null) has no sample. */
    private static final class Gauge {
        private final GaugeSnapshot.Builder builder;
        private boolean empty = true;

        Gauge(String name, String help) {
            builder = GaugeSnapshot.builder().name(name).help(help);
        }

        void add(Labels labels, Double value) {
            if (value != null) {
                builder.dataPoint(GaugeDataPointSnapshot.builder().labels(labels).value(value).build());
                empty = false;
            }
        }

        Optional<GaugeSnapshot> snapshot() {
            return empty ? Optional.empty() : Optional.of(builder.build());
        }
    }
}
