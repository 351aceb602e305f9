package dev.freshet.monitor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable snapshot of what the monitor has observed for one model, taken by {@link Monitor#report()}.
 *
 * <p>Every figure says its window and, where it belongs to one, its model version. Times are epoch
 * milliseconds. Maps keep a stable order (versions and features sorted, evidence as issued). "Examples" are training examples of the {@code training-examples} topic: served predictions
 * joined with their late label. Nullable components are documented; lists and maps are never null.
 *
 * @param model             the model watched ({@code monitor.model.name})
 * @param generatedAtMs     when this snapshot was taken
 * @param monitoringSinceMs when the monitor started; every count covers what it read since then
 * @param examplesSeen      training examples of this model read
 * @param badRecords        records that could not be parsed (counted, logged, skipped)
 * @param versions          per model version, oldest first
 * @param rollingAccuracy   accuracy over the most recent labelled predictions
 * @param driftFeatures     features the drift policy compares, per the current reference window
 * @param driftSkipped      features the drift policy skips, with why (one-hot, binary, constant)
 * @param driftEvents       every drift event, oldest first
 * @param actions           every ROLLBACK and RETRAIN for this model, issued by the monitor or seen on the
 *                          commands topic from others, oldest first
 * @param freshness         label-to-serving freshness
 * @param labelCoverage     predictions logged versus predictions that got a label
 */
public record MonitorReport(
        String model,
        long generatedAtMs,
        long monitoringSinceMs,
        long examplesSeen,
        long badRecords,
        List<VersionStats> versions,
        RollingAccuracy rollingAccuracy,
        List<String> driftFeatures,
        Map<String, String> driftSkipped,
        List<DriftEvent> driftEvents,
        List<Action> actions,
        Freshness freshness,
        LabelCoverage labelCoverage) {

    public MonitorReport {
        versions = List.copyOf(versions);
        driftFeatures = List.copyOf(driftFeatures);
        driftSkipped = Collections.unmodifiableMap(new TreeMap<>(driftSkipped));
        driftEvents = List.copyOf(driftEvents);
        actions = List.copyOf(actions);
    }

    /**
     * What one model version did.
     *
     * @param version             the version number
     * @param parentVersion       the version its weights continued from (0 for none, -1 when its ModelVersion
     *                            record has not been read yet)
     * @param origin              ONLINE, RETRAIN, EXTERNAL, or UNKNOWN before its record is read
     * @param publishedAtMs       from its ModelVersion record; null until that is read
     * @param firstServedAtMs     served_at_ms of its earliest prediction in the log; null if never served
     * @param predictionsServed   predictions logged with this version
     * @param labelledPredictions of those, how many got a label (training examples with this version)
     * @param correct             labelled predictions whose predicted label equals the label
     * @param accuracy            correct / labelledPredictions; null when there are none
     * @param barred              true when a ROLLBACK targets this version or one of its ancestors
     */
    public record VersionStats(
            long version,
            long parentVersion,
            String origin,
            Long publishedAtMs,
            Long firstServedAtMs,
            long predictionsServed,
            long labelledPredictions,
            long correct,
            Double accuracy,
            boolean barred) {
    }

    /**
     * Accuracy over the last {@code windowExamples} labelled predictions, whichever versions served them.
     *
     * @param windowExamples     the configured window ({@code monitor.accuracy.window.examples})
     * @param examples           labelled predictions in the window now (fewer than the window at first)
     * @param correct            of those, correct
     * @param accuracy           correct / examples; null when there are none
     * @param examplesByVersion  how many of the window's examples each version served
     * @param fromPredictedAtMs  predicted_at_ms of the oldest example in the window; null when empty
     * @param toPredictedAtMs    predicted_at_ms of the newest example in the window; null when empty
     */
    public record RollingAccuracy(
            int windowExamples,
            int examples,
            int correct,
            Double accuracy,
            Map<Long, Integer> examplesByVersion,
            Long fromPredictedAtMs,
            Long toPredictedAtMs) {

        public RollingAccuracy {
            examplesByVersion = Collections.unmodifiableMap(new TreeMap<>(examplesByVersion));
        }
    }

    /**
     * A run of consecutive training examples, as read by the monitor.
     *
     * @param examples          how many
     * @param firstExample      ordinal of the first (1 = the first example of this model the monitor read)
     * @param lastExample       ordinal of the last
     * @param fromPredictedAtMs earliest predicted_at_ms among them
     * @param toPredictedAtMs   latest predicted_at_ms among them
     */
    public record ExampleWindow(
            int examples, long firstExample, long lastExample, long fromPredictedAtMs, long toPredictedAtMs) {
    }

    /**
     * A feature whose distribution in the current window differs from the reference window.
     *
     * @param detectedAtMs   when the monitor detected it
     * @param feature        the feature's name
     * @param statistic      the statistic used ("PSI")
     * @param value          its value
     * @param threshold      the threshold it exceeded
     * @param reference      the reference window
     * @param current        the current window
     * @param servingVersion the version serving at detection (of the newest logged prediction); -1 if unknown
     * @param outcome        what the monitor did about it, e.g. "RETRAIN issued" or "retrain deferred: cooldown"
     */
    public record DriftEvent(
            long detectedAtMs,
            String feature,
            String statistic,
            double value,
            double threshold,
            ExampleWindow reference,
            ExampleWindow current,
            long servingVersion,
            String outcome) {
    }

    /**
     * A ROLLBACK or RETRAIN command for this model.
     *
     * @param issuedAtMs     the command's issued_at_ms
     * @param type           "ROLLBACK" or "RETRAIN"
     * @param targetVersion  ROLLBACK: the barred version; RETRAIN: the version serving when issued (0 if none)
     * @param restoreVersion ROLLBACK: the version to return to; RETRAIN: 0
     * @param reason         for people, with the figures
     * @param evidence       the figures behind the decision, by name
     * @param issuedBy       "monitor", or whoever else wrote it
     * @param commandId      the command's id
     */
    public record Action(
            long issuedAtMs,
            String type,
            long targetVersion,
            long restoreVersion,
            String reason,
            Map<String, Double> evidence,
            String issuedBy,
            String commandId) {

        public Action {
            evidence = Collections.unmodifiableMap(new LinkedHashMap<>(evidence));
        }
    }

    /**
     * Label-to-serving freshness: for each training example, the time from its label's arrival to the first
     * prediction served by a model version that had learned from it. A version has learned from the example at
     * (partition p, offset o) of the training-examples topic when its input_offsets[p] &gt; o.
     *
     * @param count   examples whose freshness is known
     * @param pending examples not yet covered by a version that has served
     * @param p50Ms   median, nearest rank; null when count is 0
     * @param p90Ms   90th percentile; null when count is 0
     * @param p99Ms   99th percentile; null when count is 0
     */
    public record Freshness(long count, long pending, Long p50Ms, Long p90Ms, Long p99Ms) {
    }

    /**
     * Predictions logged versus predictions that got a label. Labels arrive late, so the newest predictions
     * are always still waiting.
     *
     * @param predictionsLogged predictions of this model read from the predictions topic
     * @param labelled          training examples of this model read (predictions that got a label)
     * @param coverage          labelled / predictionsLogged; null when no prediction was logged
     */
    public record LabelCoverage(long predictionsLogged, long labelled, Double coverage) {
    }
}
