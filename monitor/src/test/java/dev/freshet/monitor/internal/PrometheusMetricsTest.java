package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.freshet.monitor.MonitorReport;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What a Prometheus scrape of the monitor reads: the same names, types, help, labels and values as the report. */
class PrometheusMetricsTest {
    private static MonitorReport report;
    private static String scrape;
    private static Map<String, Double> samples;

    @BeforeAll
    static void scrapeTheFixture() throws IOException {
        report = ReportFixture.report();
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PrometheusMetrics(() -> report));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        scrape = out.toString(StandardCharsets.UTF_8);
        samples = new LinkedHashMap<>();
        for (String line : scrape.split("\n")) {
            if (!line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
    }

    @Test
    void countersKeepTheirTotalNamesTypesAndHelp() {
        assertThat(scrape).contains(
            "# HELP freshet_monitor_examples_total Training examples (labelled predictions) read.\n"
                + "# TYPE freshet_monitor_examples_total counter\n",
            "# HELP freshet_monitor_actions_total ROLLBACK and RETRAIN commands seen for the model.\n"
                + "# TYPE freshet_monitor_actions_total counter\n",
            "# TYPE freshet_monitor_rolling_accuracy gauge\n",
            "# TYPE freshet_monitor_version_accuracy gauge\n",
            "# TYPE freshet_monitor_drift_psi gauge\n");
        assertThat(samples).containsEntry("freshet_monitor_examples_total{model=\"default\"}",
            (double) report.examplesSeen());
    }

    @Test
    void everyVersionHasItsAccuracyUnderItsVersionLabel() {
        for (MonitorReport.VersionStats v : report.versions()) {
            assertThat(samples).containsEntry(
                "freshet_monitor_version_accuracy{model=\"default\",version=\"" + v.version() + "\"}", v.accuracy());
        }
        assertThat(samples).containsEntry("freshet_monitor_rolling_accuracy{model=\"default\"}",
            report.rollingAccuracy().accuracy());
        assertThat(samples).containsEntry("freshet_monitor_label_coverage{model=\"default\"}",
            report.labelCoverage().coverage());
    }

    @Test
    void everyDriftedFeatureHasItsPsiByFeatureAndKind() {
        assertThat(report.drift().features()).isNotEmpty();
        for (MonitorReport.FeatureDrift f : report.drift().features()) {
            assertThat(samples).containsEntry("freshet_monitor_drift_psi{feature=\"" + f.feature() + "\",kind=\""
                + f.kind() + "\",model=\"default\"}", f.psi());
        }
    }

    @Test
    void actionsAreCountedByTypeWithZeroForTypesNotSeen() {
        long rollbacks = report.actions().stream().filter(a -> a.type().equals("ROLLBACK")).count();
        long retrains = report.actions().stream().filter(a -> a.type().equals("RETRAIN")).count();

        assertThat(samples).containsEntry("freshet_monitor_actions_total{model=\"default\",type=\"ROLLBACK\"}",
            (double) rollbacks).containsEntry("freshet_monitor_actions_total{model=\"default\",type=\"RETRAIN\"}",
            (double) retrains);
        assertThat(rollbacks).as("the fixture rolls v3 back").isPositive();
    }
}
