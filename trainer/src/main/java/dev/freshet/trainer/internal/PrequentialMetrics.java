package dev.freshet.trainer.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prequential (test-then-train) evaluation over the examples since the last version and over a sliding window of
 * the most recent examples: accuracy, log loss, macro-F1 and, for two classes, ROC AUC of the second label's
 * probability. Every figure is exact (AUC by ranking the stored scores, ties counted half). Not thread-safe.
 */
final class PrequentialMetrics implements Evaluation {
    static final String ACCURACY_SINCE_PARENT = "prequential_accuracy_since_parent";
    static final String LOG_LOSS_SINCE_PARENT = "prequential_log_loss_since_parent";
    static final String AUC_SINCE_PARENT = "prequential_auc_since_parent";
    static final String MACRO_F1_SINCE_PARENT = "prequential_macro_f1_since_parent";
    static final String EXAMPLES_SINCE_PARENT = "examples_since_parent";
    static final String ACCURACY_WINDOW = "prequential_accuracy_window";
    static final String LOG_LOSS_WINDOW = "prequential_log_loss_window";
    static final String AUC_WINDOW = "prequential_auc_window";
    static final String MACRO_F1_WINDOW = "prequential_macro_f1_window";
    static final String EXAMPLES_WINDOW = "examples_window";

    private static final int STATE_FORMAT = 1;

    private final int numClasses;
    private final Period window;
    private final Period sinceParent;

    /** A binary evaluation. */
    PrequentialMetrics(int windowCapacity) {
        this(windowCapacity, 2);
    }

    PrequentialMetrics(int windowCapacity, int numClasses) {
        this.numClasses = numClasses;
        this.window = new Period(numClasses, windowCapacity);
        this.sinceParent = new Period(numClasses, 0);
    }

    void record(TestOutcome outcome) {
        record(outcome.predicted(), outcome.actual(), outcome.logLoss(), outcome.positiveScore());
    }

    /** Records one test-then-train outcome without allocating (but for the since-parent period's growth). */
    void record(int predicted, int actual, double logLoss, double positiveScore) {
        window.add(predicted, actual, logLoss, positiveScore);
        sinceParent.add(predicted, actual, logLoss, positiveScore);
    }

    @Override
    public long sinceParent() {
        return sinceParent.size;
    }

    double accuracySinceParent() {
        return sinceParent.accuracy();
    }

    @Override
    public double windowAccuracy() {
        return window.accuracy();
    }

    @Override
    public int windowSize() {
        return window.size;
    }

    /** Starts a new since-parent period (after a version is published or the state is replaced). */
    @Override
    public void resetSinceParent() {
        sinceParent.clear();
    }

    /** Forgets everything: the sliding window and the since-parent period (a fresh model after RESET). */
    @Override
    public void clear() {
        window.clear();
        sinceParent.clear();
    }

    /** The metrics for a model version; figures over no examples (or undefined, like AUC of one class) are left out. */
    @Override
    public Map<String, Double> asVersionMetrics() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(EXAMPLES_SINCE_PARENT, (double) sinceParent.size);
        sinceParent.putFigures(metrics, ACCURACY_SINCE_PARENT, LOG_LOSS_SINCE_PARENT, MACRO_F1_SINCE_PARENT,
            AUC_SINCE_PARENT);
        metrics.put(EXAMPLES_WINDOW, (double) window.size);
        window.putFigures(metrics, ACCURACY_WINDOW, LOG_LOSS_WINDOW, MACRO_F1_WINDOW, AUC_WINDOW);
        return metrics;
    }

    /** The sliding window, for a checkpoint (the since-parent period is empty right after a version). */
    @Override
    public byte[] windowState() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(STATE_FORMAT);
            out.writeInt(numClasses);
            out.writeInt(window.capacity);
            out.writeInt(window.size);
            // Oldest first, so that restoring is replaying.
            int start = window.size < window.capacity ? 0 : window.next;
            for (int i = 0; i < window.size; i++) {
                int at = (start + i) % window.capacity;
                out.writeInt(window.predicted[at]);
                out.writeInt(window.actual[at]);
                out.writeDouble(window.loss[at]);
                out.writeDouble(window.score[at]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Replaces the sliding window with one written by {@link #windowState()}; a state of another shape (format,
     * classes) is ignored, and a longer one keeps its most recent entries.
     *
     * @return true if the state was taken
     */
    @Override
    public boolean restoreWindow(byte[] state) {
        if (state.length == 0) {
            return false;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(state))) {
            if (in.readInt() != STATE_FORMAT || in.readInt() != numClasses) {
                return false;
            }
            in.readInt();
            int size = in.readInt();
            window.clear();
            for (int i = 0; i < size; i++) {
                window.add(in.readInt(), in.readInt(), in.readDouble(), in.readDouble());
            }
            return true;
        } catch (IOException | RuntimeException e) {
            window.clear();
            return false;
        }
    }

    /** The outcomes of a period: a ring buffer when bounded, a growing list when not (capacity 0). */
    private static final class Period {
        private final int numClasses;
        private final int capacity;
        private int[] predicted;
        private int[] actual;
        private double[] loss;
        private double[] score;
        private int next;
        private int size;
        private long correct;
        private double lossSum;
        private final long[] truePositives;
        private final long[] predictedCounts;
        private final long[] actualCounts;

        Period(int numClasses, int capacity) {
            this.numClasses = numClasses;
            this.capacity = capacity;
            int initial = capacity > 0 ? capacity : 256;
            this.predicted = new int[initial];
            this.actual = new int[initial];
            this.loss = new double[initial];
            this.score = new double[initial];
            this.truePositives = new long[numClasses];
            this.predictedCounts = new long[numClasses];
            this.actualCounts = new long[numClasses];
        }

        void add(int p, int a, double l, double s) {
            int at;
            if (capacity > 0) {
                at = next;
                if (size == capacity) {
                    count(predicted[at], actual[at], loss[at], -1);
                } else {
                    size++;
                }
                next = (next + 1) % capacity;
            } else {
                if (size == predicted.length) {
                    int grown = size * 2;
                    predicted = Arrays.copyOf(predicted, grown);
                    actual = Arrays.copyOf(actual, grown);
                    loss = Arrays.copyOf(loss, grown);
                    score = Arrays.copyOf(score, grown);
                }
                at = size++;
            }
            predicted[at] = p;
            actual[at] = a;
            loss[at] = l;
            score[at] = s;
            count(p, a, l, +1);
        }

        private void count(int p, int a, double l, int sign) {
            if (p == a) {
                correct += sign;
                truePositives[a] += sign;
            }
            predictedCounts[p] += sign;
            actualCounts[a] += sign;
            lossSum += sign * l;
        }

        void clear() {
            next = 0;
            size = 0;
            correct = 0;
            lossSum = 0.0;
            Arrays.fill(truePositives, 0);
            Arrays.fill(predictedCounts, 0);
            Arrays.fill(actualCounts, 0);
        }

        double accuracy() {
            return size == 0 ? Double.NaN : (double) correct / size;
        }

        /** Mean over the classes that occur or are predicted of 2TP / (2TP + FP + FN). */
        double macroF1() {
            double sum = 0.0;
            int classes = 0;
            for (int c = 0; c < numClasses; c++) {
                long denominator = predictedCounts[c] + actualCounts[c];
                if (denominator > 0) {
                    sum += 2.0 * truePositives[c] / denominator;
                    classes++;
                }
            }
            return classes == 0 ? Double.NaN : sum / classes;
        }

        /** Mann-Whitney AUC of the positive class's score; NaN unless both classes occur. */
        double auc() {
            if (numClasses != 2 || actualCounts[0] == 0 || actualCounts[1] == 0) {
                return Double.NaN;
            }
            Integer[] order = new Integer[size];
            for (int i = 0; i < size; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (x, y) -> Double.compare(score[x], score[y]));
            double positiveRankSum = 0.0;
            int i = 0;
            while (i < size) {
                int j = i;
                while (j + 1 < size && score[order[j + 1]] == score[order[i]]) {
                    j++;
                }
                double meanRank = (i + j) / 2.0 + 1.0;
                for (int t = i; t <= j; t++) {
                    if (actual[order[t]] == 1) {
                        positiveRankSum += meanRank;
                    }
                }
                i = j + 1;
            }
            double positives = actualCounts[1];
            double negatives = actualCounts[0];
            return (positiveRankSum - positives * (positives + 1) / 2.0) / (positives * negatives);
        }

        void putFigures(Map<String, Double> metrics, String accuracyKey, String logLossKey, String macroF1Key,
                        String aucKey) {
            if (size == 0) {
                return;
            }
            metrics.put(accuracyKey, accuracy());
            metrics.put(logLossKey, lossSum / size);
            metrics.put(macroF1Key, macroF1());
            double auc = auc();
            if (!Double.isNaN(auc)) {
                metrics.put(aucKey, auc);
            }
        }
    }
}
