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
 * @param monitoringSinceMs when the monitor started, or for {@link Monitor#readOnce} the earliest record read;
 *                          every count covers what was read since then
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
 * @param accuracyOverTime  per version and time window (of {@code monitor.report.window.ms}, by predicted_at_ms):
 *                          accuracy, log loss and AUC; oldest window first, then by version
 * @param calibration       per version, reliability bins of the positive-class score against the observed rate
 * @param drift             the latest comparison of the current window with the reference, every feature ranked
 *                          by PSI (numeric, categorical, the score and the label); null before the first one
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
        LabelCoverage labelCoverage,
        List<AccuracyWindow> accuracyOverTime,
        List<Calibration> calibration,
        DriftSnapshot drift) {

    public MonitorReport {
        versions = List.copyOf(versions);
        accuracyOverTime = List.copyOf(accuracyOverTime);
        calibration = List.copyOf(calibration);
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
     * @param labelCoverage       labelledPredictions / predictionsServed; null when none was served (labels
     *                            still on their way count as missing)
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
            Double labelCoverage,
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
     * @param feature        the feature's name, or {@code (error rate)} for a change on the error stream
     * @param statistic      the statistic used: "PSI" for a feature; "PAGE_HINKLEY" or "ADWIN" for the error
     *                       stream (value: the detector's statistic; reference and current: the examples before and
     *                       after its change point)
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

    /**
     * How one version did on the predictions it made in one time window (by predicted_at_ms) that got a label.
     *
     * @param version   the model version that served them
     * @param fromMs    start of the window, inclusive
     * @param toMs      end of the window, exclusive
     * @param labelled  labelled predictions of this version in the window
     * @param correct   of those, correct
     * @param accuracy  correct / labelled
     * @param scored    of the labelled, those with a positive-class probability ({@code monitor.positive.label})
     * @param logLoss   mean log loss over the scored; null when none were scored
     * @param auc       area under the ROC curve over the scored (20 score bins); null unless both labels occur
     */
    public record AccuracyWindow(long version, long fromMs, long toMs, long labelled, long correct, double accuracy,
                                 long scored, Double logLoss, Double auc) {
    }

    /**
     * Reliability of one version's scores: predictions binned by positive-class probability, with the share that
     * turned out positive. A calibrated model's bins lie on the diagonal.
     *
     * @param version  the model version
     * @param scored   labelled predictions of this version with a score, in all its windows
     * @param bins     ten equal-width score bins, empty ones included
     */
    public record Calibration(long version, long scored, List<ReliabilityBin> bins) {
        public Calibration {
            bins = List.copyOf(bins);
        }
    }

    /**
     * One score bin of a reliability diagram.
     *
     * @param fromScore     lower edge, inclusive
     * @param toScore       upper edge, exclusive (the last bin includes 1.0)
     * @param count         labelled predictions whose score fell in the bin
     * @param meanScore     their mean score; null when count is 0
     * @param observedRate  share of them whose label was positive; null when count is 0
     */
    public record ReliabilityBin(double fromScore, double toScore, long count, Double meanScore, Double observedRate) {
    }

    /**
     * The latest comparison of the current window with the reference window.
     *
     * @param checkedAtMs    when it ran
     * @param reference      the reference window (first examples after start or after the last feature-drift RETRAIN)
     * @param current        the current window
     * @param servingVersion the version serving then (of the newest logged prediction); -1 if unknown
     * @param psiThreshold   {@code monitor.drift.psi.threshold}
     * @param features       every compared feature, highest PSI first
     */
    public record DriftSnapshot(long checkedAtMs, ExampleWindow reference, ExampleWindow current, long servingVersion,
                                double psiThreshold, List<FeatureDrift> features) {
        public DriftSnapshot {
            features = List.copyOf(features);
        }
    }

    /**
     * One feature's distribution in the reference and current windows, and how far apart they are.
     *
     * @param feature         the feature; {@code channel} for the one-hot group {@code channel=*}, {@code (score)}
     *                        for the positive-class probability, {@code (label)} for the label
     * @param kind            "numeric", "categorical" (a one-hot group or a binary feature), "score" or "label"
     * @param psi             population stability index over {@code bins}
     * @param ks              numeric and score: the two-sample Kolmogorov-Smirnov statistic D; else null
     * @param ksPValue        the asymptotic p-value of D; null with ks
     * @param chiSquared      categorical and label: the chi-squared statistic of homogeneity; else null
     * @param chiSquaredPValue its p-value (degrees of freedom: categories - 1); null with chiSquared
     * @param drifted         true when PSI exceeds {@code monitor.drift.psi.threshold} (only numeric features
     *                        trigger a retrain)
     * @param bins            bin labels: deciles of the reference for numeric, categories otherwise
     * @param referenceShares share of the reference window in each bin
     * @param currentShares   share of the current window in each bin
     */
    public record FeatureDrift(String feature, String kind, double psi, Double ks, Double ksPValue, Double chiSquared,
                               Double chiSquaredPValue, boolean drifted, List<String> bins,
                               List<Double> referenceShares, List<Double> currentShares) {
        public FeatureDrift {
            bins = List.copyOf(bins);
            referenceShares = List.copyOf(referenceShares);
            currentShares = List.copyOf(currentShares);
        }
    }

    /** This report as a self-contained HTML page with inline SVG charts (no scripts, no network). */
    public String toHtml() {
        return dev.freshet.monitor.internal.ReportHtml.render(this);
    }

    /** This report as pretty-printed JSON (the records' components by name; nulls kept). */
    public String toJson() {
        return dev.freshet.monitor.internal.ReportJson.render(this);
    }
}
