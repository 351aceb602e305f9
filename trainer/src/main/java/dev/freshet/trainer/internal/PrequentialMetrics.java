package dev.freshet.trainer.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prequential (test-then-train) accuracy and log loss, over the examples since the last version and over a sliding
 * window of the most recent examples. Not thread-safe.
 */
final class PrequentialMetrics {
    static final String ACCURACY_SINCE_PARENT = "prequential_accuracy_since_parent";
    static final String LOG_LOSS_SINCE_PARENT = "prequential_log_loss_since_parent";
    static final String EXAMPLES_SINCE_PARENT = "examples_since_parent";
    static final String ACCURACY_WINDOW = "prequential_accuracy_window";
    static final String LOG_LOSS_WINDOW = "prequential_log_loss_window";
    static final String EXAMPLES_WINDOW = "examples_window";

    private final boolean[] windowCorrect;
    private final double[] windowLoss;
    private int windowNext;
    private int windowSize;
    private int windowCorrectCount;
    private double windowLossSum;

    private long sinceParent;
    private long sinceParentCorrect;
    private double sinceParentLoss;

    PrequentialMetrics(int windowCapacity) {
        this.windowCorrect = new boolean[windowCapacity];
        this.windowLoss = new double[windowCapacity];
    }

    void record(OnlineLearner.Outcome outcome) {
        if (windowSize == windowCorrect.length) {
            if (windowCorrect[windowNext]) {
                windowCorrectCount--;
            }
            windowLossSum -= windowLoss[windowNext];
        } else {
            windowSize++;
        }
        windowCorrect[windowNext] = outcome.correct();
        windowLoss[windowNext] = outcome.logLoss();
        if (outcome.correct()) {
            windowCorrectCount++;
        }
        windowLossSum += outcome.logLoss();
        windowNext = (windowNext + 1) % windowCorrect.length;

        sinceParent++;
        if (outcome.correct()) {
            sinceParentCorrect++;
        }
        sinceParentLoss += outcome.logLoss();
    }

    long sinceParent() {
        return sinceParent;
    }

    double accuracySinceParent() {
        return sinceParent == 0 ? Double.NaN : (double) sinceParentCorrect / sinceParent;
    }

    double windowAccuracy() {
        return windowSize == 0 ? Double.NaN : (double) windowCorrectCount / windowSize;
    }

    int windowSize() {
        return windowSize;
    }

    /** Starts a new since-parent period (after a version is published or the state is replaced). */
    void resetSinceParent() {
        sinceParent = 0;
        sinceParentCorrect = 0;
        sinceParentLoss = 0.0;
    }

    /** The metrics for a model version; figures over no examples are left out rather than reported as NaN. */
    Map<String, Double> asVersionMetrics() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(EXAMPLES_SINCE_PARENT, (double) sinceParent);
        if (sinceParent > 0) {
            metrics.put(ACCURACY_SINCE_PARENT, accuracySinceParent());
            metrics.put(LOG_LOSS_SINCE_PARENT, sinceParentLoss / sinceParent);
        }
        metrics.put(EXAMPLES_WINDOW, (double) windowSize);
        if (windowSize > 0) {
            metrics.put(ACCURACY_WINDOW, windowAccuracy());
            metrics.put(LOG_LOSS_WINDOW, windowLossSum / windowSize);
        }
        return metrics;
    }
}
