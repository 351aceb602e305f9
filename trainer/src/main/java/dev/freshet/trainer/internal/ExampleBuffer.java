package dev.freshet.trainer.internal;

import java.util.Arrays;

/**
 * The example a learner is working on, in feature-id space: ids, raw values and standardised values of its non-zero
 * features (the first {@code nnz} entries), in arrays reused for every example and grown, never reallocated, per
 * example. Also tells repeated ids apart without clearing anything per example (a stamp per feature id). Not
 * thread-safe; holds nothing between examples.
 */
final class ExampleBuffer {
    /** Feature ids of the example. Replaced when the buffer grows: read it after {@link #ensure}. */
    int[] ids;
    /** Raw values, in {@link #ids} order. */
    double[] values;
    /** Standardised values, in {@link #ids} order. */
    double[] standardised;
    private int[] lastSeen;
    private int stamp;

    /**
     * @param capacity features per example before growing
     * @param featureCapacity feature ids below which {@link #growFeatures} need not be called
     */
    ExampleBuffer(int capacity, int featureCapacity) {
        ids = new int[capacity];
        values = new double[capacity];
        standardised = new double[capacity];
        lastSeen = new int[featureCapacity];
    }

    /** Makes room for an example of {@code needed} features. */
    void ensure(int needed) {
        if (needed > ids.length) {
            int capacity = Math.max(needed, ids.length * 2);
            ids = Arrays.copyOf(ids, capacity);
            values = Arrays.copyOf(values, capacity);
            standardised = new double[capacity];
        }
    }

    /** Makes room for feature ids below {@code capacity}. */
    void growFeatures(int capacity) {
        if (capacity > lastSeen.length) {
            lastSeen = Arrays.copyOf(lastSeen, capacity);
        }
    }

    /** The feature-id capacity, for a copy of the learner. */
    int featureCapacity() {
        return lastSeen.length;
    }

    /**
     * Copies an example given by ids, checking that every id is known and occurs once and every value is finite.
     *
     * @throws IllegalArgumentException naming the first id or value at fault
     */
    void copyChecked(int[] exampleIds, double[] exampleValues, int nnz, FeatureVocabulary vocabulary) {
        ensure(nnz);
        int known = vocabulary.size();
        int stampNow = nextStamp();
        for (int i = 0; i < nnz; i++) {
            int j = exampleIds[i];
            if (j < 0 || j >= known) {
                throw new IllegalArgumentException("feature id " + j + " at position " + i + " is unknown; "
                    + known + " features are known");
            }
            if (lastSeen[j] == stampNow) {
                throw new IllegalArgumentException("feature id " + j + " ('" + vocabulary.name(j)
                    + "') occurs twice in one example");
            }
            lastSeen[j] = stampNow;
            if (!Double.isFinite(exampleValues[i])) {
                throw new IllegalArgumentException("feature '" + vocabulary.name(j) + "' is " + exampleValues[i]);
            }
            ids[i] = j;
            values[i] = exampleValues[i];
        }
    }

    /**
     * Outside learning (prediction, later retrain epochs) a dense feature may be absent without being demoted: it
     * then takes part as the value 0, as a Tribuo model fed raw features sees it. Appends those features.
     *
     * @return the example's features, including the dense ones added
     */
    int completeDense(int nnz, RunningStandardiser standardiser) {
        int denseFeatures = standardiser.denseFeatures();
        if (standardiser.examples() == 0 || denseFeatures == 0) {
            return nnz;
        }
        int presentDense = 0;
        int stampNow = nextStamp();
        for (int i = 0; i < nnz; i++) {
            int j = ids[i];
            lastSeen[j] = stampNow;
            if (standardiser.isDense(j)) {
                presentDense++;
            }
        }
        if (presentDense == denseFeatures) {
            return nnz;
        }
        ensure(nnz + denseFeatures - presentDense);
        int features = standardiser.features();
        for (int j = 0; j < features; j++) {
            if (standardiser.isDense(j) && lastSeen[j] != stampNow) {
                ids[nnz] = j;
                values[nnz] = 0.0;
                nnz++;
            }
        }
        return nnz;
    }

    private int nextStamp() {
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(lastSeen, 0);
            stamp = 1;
        }
        return stamp;
    }
}
