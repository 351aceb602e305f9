package dev.freshet.trainer.internal;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.freshet.proto.features.v1.TrainingExample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tribuo.regression.sgd.RegressionObjective;

/**
 * Prequential learning of one model: each training example is first predicted (and the prediction scored), then
 * learned, and kept in the retrain window; an example that cannot be learned is counted as skipped by reason and
 * never throws. A RETRAIN learns the window again from scratch in the same way. Works on whichever learner the
 * caller passes (the session swaps it on adoption and rollback). The one conversion of a {@link TrainingExample}
 * into a learning step: the trainer's loop and {@code dev.freshet.trainer.OnlineModel} both learn through it.
 * Not thread-safe.
 */
final class TestThenTrain {
    private static final Logger log = LoggerFactory.getLogger(TestThenTrain.class);
    static final String SKIP_UNKNOWN_LABEL = "unknown_label";
    static final String SKIP_NON_FINITE = "non_finite_feature";
    static final String SKIP_MALFORMED = "malformed";
    static final String SKIP_NON_NUMERIC_LABEL = "non_numeric_label";
    static final String SKIP_MISSING_LABEL = "missing_label";
    /** Version metrics: examples read since the parent, learned or not; and those skipped, in all and by reason. */
    static final String SEEN_SINCE_PARENT = "examples_seen_since_parent";
    static final String SKIPPED_SINCE_PARENT = "examples_skipped_since_parent";
    static final String SKIPPED_PREFIX = "examples_skipped_";
    static final String SINCE_PARENT_SUFFIX = "_since_parent";
    static final int METRICS_WINDOW = 1000;
    private static final int UNKNOWN_LABELS_WARNED = 100;

    private final LearningSession.Settings settings;
    private final boolean regression;
    private final RegressionObjective regressionLoss;
    /** Exactly one of these two is set, by the task; {@link #metrics} is the same object. */
    private final PrequentialMetrics classMetrics;
    private final RegressionMetrics valueMetrics;
    private final Evaluation metrics;
    private final ExampleWindow window;
    private final Map<String, Long> skipped = new HashMap<>();
    private final Map<String, Long> skippedSinceParent = new HashMap<>();
    private final Set<String> unknownLabelsWarned = new HashSet<>();
    private boolean warnedNonNumericLabel;
    private boolean warnedMissingLabel;
    private long examplesLearned;
    /** Regression: the value predicted for the last example learned, before learning it. */
    private double lastPredictedValue = Double.NaN;

    TestThenTrain(LearningSession.Settings settings) {
        this.settings = settings;
        this.regression = settings.objective().regression();
        this.regressionLoss = regression ? settings.objective().tribuoRegression(settings.huberDelta()) : null;
        this.classMetrics = regression ? null : new PrequentialMetrics(METRICS_WINDOW, settings.labels().size());
        this.valueMetrics = regression ? new RegressionMetrics(METRICS_WINDOW) : null;
        this.metrics = regression ? valueMetrics : classMetrics;
        this.window = new ExampleWindow(settings.retrainWindowExamples());
    }

    /**
     * Test-then-train on one example read from the training topic at (partition, offset), or handed over in-process
     * (partition -1). Never throws for bad input.
     *
     * @return null when the example was learned (the prediction made before learning is then in the learner's
     *     {@code last*} fields, or {@link #lastPredictedValue()}), else why it was skipped
     */
    String learn(OnlineLearner learner, TrainingExample example, int partition, long offset) {
        if (example.getLabel().isBlank()) {
            return skipMissingLabel(example, partition, offset);
        }
        if (regression) {
            return learnValue(learner, example, partition, offset);
        }
        int labelId = settings.labels().indexOf(example.getLabel());
        if (labelId < 0) {
            // Bounded: a stream of ever-new labels would otherwise grow the set without end.
            if (unknownLabelsWarned.size() < UNKNOWN_LABELS_WARNED && unknownLabelsWarned.add(example.getLabel())) {
                log.warn("Skipped a training example for model '{}' with label '{}' ({}): the trainer knows only "
                        + "labels {}; set trainer.labels to learn it. Further examples with this label are counted "
                        + "in the stats without a warning.", settings.modelName(), example.getLabel(),
                    where(example, partition, offset), settings.labels());
            }
            return skip(SKIP_UNKNOWN_LABEL);
        }
        Map<String, Double> features = example.getFeaturesMap();
        if (!finiteFeatures(example, partition, offset)) {
            return skip(SKIP_NON_FINITE);
        }
        int predicted = learner.learnNamed(features, labelId, true);
        classMetrics.record(predicted, labelId, learner.lastLogLoss(), learner.lastPositiveScore());
        if (window.keeps()) {
            window.add(new ExampleWindow.Entry(features, labelId, example.getLabelArrivedAtMs()));
        }
        examplesLearned++;
        return null;
    }

    private String skipMissingLabel(TrainingExample example, int partition, long offset) {
        if (!warnedMissingLabel) {
            warnedMissingLabel = true;
            log.warn("Skipped a training example for model '{}' without a label ({}): there is nothing to learn "
                + "from; the label join should never emit one, so check the labels' source. Further such examples "
                + "are counted in the stats without a warning.", settings.modelName(),
                where(example, partition, offset));
        }
        return skip(SKIP_MISSING_LABEL);
    }

    /** Where an example came from, for a log line. */
    private static String where(TrainingExample example, int partition, long offset) {
        String request = "request '" + example.getRequestId() + "'";
        return partition < 0 ? request : request + ", partition " + partition + ", offset " + offset;
    }

    /** False when a feature is NaN or infinite: it would poison the weights. */
    private static boolean finiteFeatures(TrainingExample example, int partition, long offset) {
        for (Map.Entry<String, Double> e : example.getFeaturesMap().entrySet()) {
            if (!Double.isFinite(e.getValue())) {
                log.debug("Skipped training example ({}): feature '{}' is {}.", where(example, partition, offset),
                    e.getKey(), e.getValue());
                return false;
            }
        }
        return true;
    }

    private String learnValue(OnlineLearner learner, TrainingExample example, int partition, long offset) {
        double target = target(example);
        if (!Double.isFinite(target)) {
            if (!warnedNonNumericLabel) {
                warnedNonNumericLabel = true;
                log.warn("Skipped a training example for regression model '{}' with label '{}' ({}): a regression "
                        + "learns from a finite number. Further such examples are counted in the stats without a "
                        + "warning.", settings.modelName(), example.getLabel(), where(example, partition, offset));
            }
            return skip(SKIP_NON_NUMERIC_LABEL);
        }
        if (!finiteFeatures(example, partition, offset)) {
            return skip(SKIP_NON_FINITE);
        }
        Map<String, Double> features = example.getFeaturesMap();
        lastPredictedValue = learner.learnValue(features, target, regressionLoss, true);
        valueMetrics.record(lastPredictedValue, target);
        if (window.keeps()) {
            window.add(new ExampleWindow.Entry(features, 0, target, example.getLabelArrivedAtMs()));
        }
        examplesLearned++;
        return null;
    }

    /** Regression: the value the last example learned was predicted, before learning it. */
    double lastPredictedValue() {
        return lastPredictedValue;
    }

    /** The example's label as a number, or NaN when it is not one. */
    private static double target(TrainingExample example) {
        try {
            return Double.parseDouble(example.getLabel().trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /**
     * Puts an example the restored state already learned back into the retrain window, without learning it or
     * counting it (after a restart, the window is refilled from the examples before the checkpoint's offsets).
     */
    void remember(TrainingExample example) {
        if (regression) {
            double target = target(example);
            if (Double.isFinite(target)
                    && example.getFeaturesMap().values().stream().allMatch(Double::isFinite)) {
                window.add(new ExampleWindow.Entry(example.getFeaturesMap(), 0, target,
                    example.getLabelArrivedAtMs()));
            }
            return;
        }
        int labelId = settings.labels().indexOf(example.getLabel());
        if (labelId < 0 || example.getFeaturesMap().values().stream().anyMatch(v -> !Double.isFinite(v))) {
            return;
        }
        window.add(new ExampleWindow.Entry(example.getFeaturesMap(), labelId, example.getLabelArrivedAtMs()));
    }

    /** Counts a record that could not be read as a training example. */
    void malformed(int partition, long offset, String problem) {
        skip(SKIP_MALFORMED);
        log.warn("Skipped an unreadable record on {} partition {} offset {}: {}.", settings.trainingTopic(),
            partition, offset, problem);
    }

    private String skip(String reason) {
        skipped.merge(reason, 1L, Long::sum);
        skippedSinceParent.merge(reason, 1L, Long::sum);
        return reason;
    }

    /** A learner retrained from scratch on the window, and the metrics of its version. */
    record Retrained(OnlineLearner learner, int examples, Map<String, Double> versionMetrics) {
    }

    /**
     * Learns the retrain window from scratch into {@code fresh} for the configured epochs, the standardisation
     * fixed after the first. The version's metrics are prequential over that first pass.
     *
     * @return empty when the window holds no example yet
     */
    Optional<Retrained> retrain(OnlineLearner fresh) {
        List<ExampleWindow.Entry> examples = window.inTimeOrder();
        if (examples.isEmpty()) {
            return Optional.empty();
        }
        PrequentialMetrics firstPass = regression ? null
            : new PrequentialMetrics(examples.size(), settings.labels().size());
        RegressionMetrics firstPassValues = regression ? new RegressionMetrics(examples.size()) : null;
        for (int epoch = 0; epoch < settings.retrainEpochs(); epoch++) {
            for (ExampleWindow.Entry entry : examples) {
                if (regression) {
                    double predicted = fresh.learnValue(entry.features(), entry.target(), regressionLoss, epoch == 0);
                    if (epoch == 0) {
                        firstPassValues.record(predicted, entry.target());
                    }
                    continue;
                }
                TestOutcome outcome = fresh.learn(entry.features(), entry.labelId(), epoch == 0);
                if (epoch == 0) {
                    firstPass.record(outcome);
                }
            }
        }
        Map<String, Double> versionMetrics = regression ? firstPassValues.asVersionMetrics()
            : firstPass.asVersionMetrics();
        versionMetrics.put("retrain_window_examples", (double) examples.size());
        versionMetrics.put("retrain_epochs", (double) settings.retrainEpochs());
        return Optional.of(new Retrained(fresh, examples.size(), versionMetrics));
    }

    /** The prequential figures since the last version and over the recent window. */
    Evaluation metrics() {
        return metrics;
    }

    /**
     * What the next ONLINE version reports: the prequential figures, and how many examples were read since the last
     * version ({@value #SEEN_SINCE_PARENT}), learned ({@value PrequentialMetrics#EXAMPLES_SINCE_PARENT}) and skipped
     * ({@value #SKIPPED_SINCE_PARENT}, and {@code examples_skipped_<reason>_since_parent} for each reason that
     * occurred).
     */
    Map<String, Double> versionMetrics() {
        Map<String, Double> versionMetrics = metrics.asVersionMetrics();
        long skippedTotal = 0;
        for (Map.Entry<String, Long> e : new TreeMap<>(skippedSinceParent).entrySet()) {
            versionMetrics.put(SKIPPED_PREFIX + e.getKey() + SINCE_PARENT_SUFFIX, (double) e.getValue());
            skippedTotal += e.getValue();
        }
        versionMetrics.put(SKIPPED_SINCE_PARENT, (double) skippedTotal);
        versionMetrics.put(SEEN_SINCE_PARENT, (double) (metrics.sinceParent() + skippedTotal));
        return versionMetrics;
    }

    /** Starts a new since-parent period: after a version is published or the learning state is replaced. */
    void resetSinceParent() {
        metrics.resetSinceParent();
        skippedSinceParent.clear();
    }

    /** Forgets every figure, as for a fresh model after RESET (the totals since start stay). */
    void clearMetrics() {
        metrics.clear();
        skippedSinceParent.clear();
    }

    /** Examples the retrain window holds now. */
    int retainedExamples() {
        return window.size();
    }

    /** Examples learned (not skipped) since the trainer started. */
    long examplesLearned() {
        return examplesLearned;
    }

    /** Examples skipped, by reason. */
    Map<String, Long> skipped() {
        return skipped;
    }
}
