package dev.freshet.trainer.internal;

import java.util.Map;

/**
 * Prequential (test-then-train) evaluation as the learning session sees it, whatever the task: figures over the
 * examples since the last version and over a sliding window, and the window as checkpoint state. Not thread-safe.
 */
interface Evaluation {
    /** Examples recorded since the last version. */
    long sinceParent();

    /** Starts a new since-parent period (after a version is published or the state is replaced). */
    void resetSinceParent();

    /** Forgets everything: the sliding window and the since-parent period (a fresh model after RESET). */
    void clear();

    /** The figures for a model version, by metric name; figures over no examples are left out. */
    Map<String, Double> asVersionMetrics();

    /** The sliding window, for a checkpoint. */
    byte[] windowState();

    /** Replaces the sliding window with one from {@link #windowState()}; false (and unchanged) if it does not fit. */
    boolean restoreWindow(byte[] state);

    /** Accuracy over the window; NaN when there is none (no examples yet, or a regression). */
    double windowAccuracy();

    /** Examples in the sliding window. */
    int windowSize();
}
