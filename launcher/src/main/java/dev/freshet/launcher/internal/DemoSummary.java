package dev.freshet.launcher.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.freshet.featurestore.FeatureStoreStats;
import dev.freshet.monitor.MonitorReport;
import dev.freshet.proto.registry.v1.ModelVersion;

/**
 * What a demo run did, every figure counted from what happened: the app side's own counts (events sent, calls
 * and their latencies), the topics (versions published, events dead-lettered) and the monitor's report
 * (accuracy per version, drift, actions, freshness). Printed on screen and written as JSON.
 */
record DemoSummary(
        Run run,
        Events events,
        Models models,
        Predictions predictions,
        MonitorReport.Freshness labelToServingFreshness,
        List<MonitorReport.DriftEvent> driftEvents,
        List<MonitorReport.Action> actions,
        Timeline timeline) {

    static final String TRAINER_ACCURACY_METRIC = "prequential_accuracy_since_parent";
    static final String TRAINER_EXAMPLES_METRIC = "examples_since_parent";

    record Run(String startedAt, long durationSeconds, int eventsPerSecond, long seed) {
    }

    /**
     * @param produced     events sent to the events topic by the demo
     * @param producedByKind VALID and each kind of deliberately malformed event
     * @param ingested     events the feature store read
     * @param deadLetteredByReason counted on the dead-letter topic
     */
    record Events(long produced, Map<String, Long> producedByKind, long ingested, long deadLettered,
                  Map<String, Long> deadLetteredByReason) {
    }

    /**
     * @param trainerPrequentialAccuracy the trainer's test-then-train accuracy over the examples since the parent
     * @param servedAccuracy             the monitor's accuracy of this version's served predictions, once labelled
     */
    record VersionRow(long version, long parentVersion, String origin, long publishedAtMs, long examplesSeen,
                      long examplesSinceParent, Double trainerPrequentialAccuracy, long predictionsServed, long labelledPredictions,
                      Double servedAccuracy, boolean barred, String note) {
    }

    record Models(int versionsPublished, List<VersionRow> versions) {
    }

    /**
     * @param rollingAccuracy accuracy over the monitor's window of the most recent labelled predictions
     */
    record Predictions(long served, Map<String, Long> failedByStatus, double latencyP50Ms, double latencyP99Ms,
                       Map<Long, Long> servedByVersion, MonitorReport.RollingAccuracy rollingAccuracy,
                       Double majorityClassRate) {
    }

    /**
     * @param badVersion        the injected version, if any
     * @param badVersionRollback the monitor's rollback of it, if it happened
     * @param publishToRollbackMs time from the bad version's publication to its rollback command
     */
    record Timeline(Long conceptDriftAtMs, DemoTimeline.Injection badVersion, MonitorReport.Action badVersionRollback,
                    Long publishToRollbackMs) {
    }

    static long labelledPredictions(MonitorReport report) {
        return report.labelCoverage().labelled();
    }

    static DemoSummary collect(Instant startedAt, Duration duration, int eventsPerSecond, long seed,
                               DemoTraffic traffic, TopicTally tally, Platform platform, DemoTimeline timeline) {
        MonitorReport report = platform.monitor().report();
        FeatureStoreStats featureStats = platform.featureStore().stats();
        Map<Long, MonitorReport.VersionStats> served = new HashMap<>();
        report.versions().forEach(v -> served.put(v.version(), v));
        List<VersionRow> rows = new ArrayList<>();
        for (ModelVersion version : tally.versions()) {
            MonitorReport.VersionStats stats = served.get(version.getVersion());
            Double trainerAccuracy = version.getMetricsMap().get(TRAINER_ACCURACY_METRIC);
            rows.add(new VersionRow(version.getVersion(), version.getParentVersion(), version.getOrigin().name(),
                version.getPublishedAtMs(), version.getExamplesSeen(),
                Math.round(version.getMetricsMap().getOrDefault(TRAINER_EXAMPLES_METRIC, 0.0)), trainerAccuracy,
                stats == null ? 0 : stats.predictionsServed(), stats == null ? 0 : stats.labelledPredictions(),
                stats == null ? null : stats.accuracy(), stats != null && stats.barred(), version.getNote()));
        }
        MonitorReport.Action rollback = null;
        Long publishToRollback = null;
        if (timeline.badVersion != null) {
            Map<Long, Long> parents = new HashMap<>();
            tally.versions().forEach(v -> parents.put(v.getVersion(), v.getParentVersion()));
            for (MonitorReport.Action action : report.actions()) {
                if ("ROLLBACK".equals(action.type())
                        && isSelfOrDescendant(timeline.badVersion.version(), action.targetVersion(), parents)) {
                    rollback = action;
                    publishToRollback = action.issuedAtMs() - timeline.badVersion.publishedAtMs();
                    break;
                }
            }
        }
        return new DemoSummary(
            new Run(startedAt.toString(), duration.toSeconds(), eventsPerSecond, seed),
            new Events(traffic.eventsProduced(), traffic.eventsProducedByKind(), featureStats.eventsIn(),
                tally.deadLettered(), tally.deadLettersByReason()),
            new Models(rows.size(), rows),
            new Predictions(traffic.predictionsServed(), traffic.predictionFailures(),
                traffic.latencyPercentileMs(50), traffic.latencyPercentileMs(99), traffic.predictionsByVersion(),
                report.rollingAccuracy(), traffic.majorityClassRate()),
            report.freshness(),
            report.driftEvents(),
            report.actions(),
            new Timeline(timeline.conceptDriftAtMs == 0 ? null : timeline.conceptDriftAtMs, timeline.badVersion,
                rollback, publishToRollback));
    }

    /** A rollback of {@code target} bars {@code version} too when {@code version} descends from it. */
    private static boolean isSelfOrDescendant(long version, long target, Map<Long, Long> parents) {
        for (long v = version; v > 0; v = parents.getOrDefault(v, 0L)) {
            if (v == target) {
                return true;
            }
        }
        return false;
    }

    void print(PrintStream out) {
        out.println();
        out.println("Summary");
        out.printf("  events      %d sent (%s), %d ingested, %d dead-lettered %s%n", events.produced,
            events.producedByKind, events.ingested, events.deadLettered, events.deadLetteredByReason);
        out.printf("  predictions %d served, failed %s, latency p50 %.2f ms, p99 %.2f ms%n", predictions.served,
            predictions.failedByStatus, predictions.latencyP50Ms, predictions.latencyP99Ms);
        MonitorReport.RollingAccuracy rolling = predictions.rollingAccuracy;
        out.printf("  accuracy    %s over the last %d labelled predictions (majority-class rate %s)%n",
            percent(rolling.accuracy()), rolling.examples(), percent(predictions.majorityClassRate));
        out.printf("  freshness   label to serving p50 %s ms, p90 %s ms, p99 %s ms over %d labels (%d pending)%n",
            labelToServingFreshness.p50Ms(), labelToServingFreshness.p90Ms(), labelToServingFreshness.p99Ms(),
            labelToServingFreshness.count(), labelToServingFreshness.pending());
        out.printf("  models      %d versions published; the first, the last and every one that was not a plain online"
            + " update (all of them are in --summary-json):%n", models.versionsPublished);
        out.println("      version  parent  origin    trainer acc (examples)  served  labelled  served acc");
        int shown = 0;
        for (int i = 0; i < models.versions.size(); i++) {
            VersionRow row = models.versions.get(i);
            boolean notable = i < 2 || i >= models.versions.size() - 2 || !"ONLINE".equals(row.origin) || row.barred
                || row.parentVersion != row.version - 1;
            if (notable) {
                out.printf("      v%-6d  v%-5d  %-8s  %11s %10s  %6d  %8d  %10s%s%n", row.version, row.parentVersion,
                    row.origin, percent(row.trainerPrequentialAccuracy), "(" + row.examplesSinceParent + ")",
                    row.predictionsServed, row.labelledPredictions, percent(row.servedAccuracy),
                    row.barred ? "  rolled back" : "");
                shown++;
            }
        }
        if (shown < models.versions.size()) {
            out.printf("      (%d more online updates)%n", models.versions.size() - shown);
        }
        out.printf("  drift       %d events%n", driftEvents.size());
        for (MonitorReport.DriftEvent drift : driftEvents) {
            out.printf("      %s  %s %s=%.3f (threshold %.2f), reference examples %d-%d vs current %d-%d, serving v%d: %s%n",
                Instant.ofEpochMilli(drift.detectedAtMs()), drift.feature(), drift.statistic(), drift.value(),
                drift.threshold(), drift.reference().firstExample(), drift.reference().lastExample(),
                drift.current().firstExample(), drift.current().lastExample(), drift.servingVersion(), drift.outcome());
        }
        out.printf("  actions     %d%n", actions.size());
        for (MonitorReport.Action action : actions) {
            out.printf("      %s  %s by %s: %s%n", Instant.ofEpochMilli(action.issuedAtMs()), action.type(),
                action.issuedBy(), action.reason());
        }
        if (timeline.badVersion != null) {
            out.printf("  bad version v%d %s%n", timeline.badVersion.version(), timeline.badVersionRollback == null
                ? "was NOT rolled back"
                : String.format(Locale.ROOT, "rolled back %.1f s after it was published", timeline.publishToRollbackMs / 1000.0));
        }
    }

    void writeJson(Path path) throws IOException {
        ObjectMapper mapper = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.ALWAYS)
            .enable(SerializationFeature.INDENT_OUTPUT);
        mapper.writeValue(path.toFile(), this);
    }

    private static String percent(Double value) {
        return value == null || value.isNaN() ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
    }
}
