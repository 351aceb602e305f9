package dev.freshet.trainer.internal;

import java.util.Arrays;

/**
 * Per-feature statistics over the examples observed so far, and the standardisation they give, in plain arrays
 * indexed by feature id (see {@link FeatureVocabulary}).
 *
 * <p>The statistics follow Tribuo's {@code RealInfo} semantics: count, mean, sum of squared deviations (Welford) and
 * min/max over the examples where the feature is present; an absent feature is the value 0 to a Tribuo model. How a
 * feature is standardised depends on whether it has been present in every one of the N examples observed:
 * <ul>
 *   <li>a <em>dense</em> feature (count = N: numeric columns, typically) is centred and scaled,
 *       {@code z = (x - mean) / std}, exactly;</li>
 *   <li>a <em>sparse</em> feature (absent from some example: one-hot categories, features that joined mid-stream) is
 *       only scaled, {@code z = x / rms} with {@code rms} its root mean square over all N examples, so that an absent
 *       feature is {@code z = 0}.</li>
 * </ul>
 * A feature registered before the first example is dense until an example lacks it; one registered later is sparse
 * from the start. The first time a dense feature is absent it becomes sparse for good, and {@link #observe} folds its
 * centring into the caller's bias so that a linear model over the standardised features predicts as before.
 *
 * <p>{@link #observe} and {@link #standardise} allocate nothing and cost time in proportion to the example's
 * features (a demotion, which happens at most once per feature, walks them all). Not thread-safe.
 */
final class RunningStandardiser {
    /** Below this a feature is (so far) constant; it is then centred but not scaled. */
    static final double MIN_STD = 1e-9;

    private long examples;
    private int features;
    private long[] count;
    private double[] mean;
    private double[] m2;
    private double[] min;
    private double[] max;
    /** Features whose count equals {@link #examples}; derived from the counts, never checkpointed. */
    private int denseFeatures;

    /** No features and no examples yet, with room for {@code capacity} features before growing. */
    RunningStandardiser(int capacity) {
        count = new long[capacity];
        mean = new double[capacity];
        m2 = new double[capacity];
        min = new double[capacity];
        max = new double[capacity];
    }

    private RunningStandardiser(RunningStandardiser other) {
        examples = other.examples;
        features = other.features;
        count = other.count.clone();
        mean = other.mean.clone();
        m2 = other.m2.clone();
        min = other.min.clone();
        max = other.max.clone();
        denseFeatures = other.denseFeatures;
    }

    /** A deep copy that shares nothing mutable with this one. */
    RunningStandardiser copy() {
        return new RunningStandardiser(this);
    }

    /** Makes room for feature ids below {@code capacity} (never shrinks). */
    void grow(int capacity) {
        if (capacity <= count.length) {
            return;
        }
        count = Arrays.copyOf(count, capacity);
        mean = Arrays.copyOf(mean, capacity);
        m2 = Arrays.copyOf(m2, capacity);
        min = Arrays.copyOf(min, capacity);
        max = Arrays.copyOf(max, capacity);
    }

    /** Registers the next feature id ({@link #features()}), seen in no example yet; the caller grew room for it. */
    int addFeature() {
        int id = features++;
        min[id] = Double.POSITIVE_INFINITY;
        max[id] = Double.NEGATIVE_INFINITY;
        if (examples == 0) {
            // Present in every one of no examples: dense until an example lacks it.
            denseFeatures++;
        }
        return id;
    }

    /**
     * Takes one example into the statistics. Dense features absent from it become sparse: their centring
     * ({@code -w mean / std} at the statistics before this example) moves from {@code weights} into {@code bias}.
     *
     * @param ids distinct feature ids of the example (the first {@code nnz})
     * @param values their values, finite
     * @param weights the caller's weights over standardised features, {@code weights[output][feature]}
     * @param bias the caller's bias per output, adjusted on a demotion
     */
    void observe(int[] ids, double[] values, int nnz, double[][] weights, double[] bias) {
        long previous = examples;
        examples++;
        int stillDense = 0;
        for (int i = 0; i < nnz; i++) {
            int j = ids[i];
            double x = values[i];
            long c = count[j];
            if (c == previous) {
                stillDense++;
            }
            count[j] = ++c;
            double delta = x - mean[j];
            mean[j] += delta / c;
            m2[j] += delta * (x - mean[j]);
            if (x < min[j]) {
                min[j] = x;
            }
            if (x > max[j]) {
                max[j] = x;
            }
        }
        if (stillDense < denseFeatures && previous > 0) {
            foldDemotedCentring(previous, weights, bias);
        }
        denseFeatures = stillDense;
    }

    /** Happens at most once per feature, so its cost over the whole feature space does not recur. */
    private void foldDemotedCentring(long previous, double[][] weights, double[] bias) {
        for (int j = 0; j < features; j++) {
            if (count[j] == previous) {
                double sigma = denseStd(j, 1.0 / previous);
                for (int k = 0; k < bias.length; k++) {
                    bias[k] -= weights[k][j] * mean[j] / sigma;
                }
            }
        }
    }

    /** Writes the standardised value of each of the example's features into {@code out}. */
    void standardise(int[] ids, double[] values, double[] out, int nnz) {
        long n = examples;
        double perExample = 1.0 / n;
        for (int i = 0; i < nnz; i++) {
            int j = ids[i];
            double x = values[i];
            if (n == 0 || count[j] == 0) {
                out[i] = x;
            } else if (count[j] == n) {
                out[i] = (x - mean[j]) / denseStd(j, perExample);
            } else {
                out[i] = x / sparseRms(j, perExample);
            }
        }
    }

    /** Standard deviation of a dense feature over n = 1 / perExample examples, or 1 while it is constant. */
    private double denseStd(int j, double perExample) {
        double std = Math.sqrt(Math.max(m2[j] * perExample, 0.0));
        return std < MIN_STD ? 1.0 : std;
    }

    /** Root mean square of a sparse feature over n = 1 / perExample examples (absent = 0), or 1 while 0 throughout. */
    private double sparseRms(int j, double perExample) {
        double c = count[j];
        double rms = Math.sqrt(Math.max((m2[j] + c * mean[j] * mean[j]) * perExample, 0.0));
        return rms < MIN_STD ? 1.0 : rms;
    }

    /** What feature j's standardisation subtracts before scaling: its mean if dense, else 0. */
    double centre(int j) {
        if (examples == 0 || count[j] == 0 || count[j] != examples) {
            return 0.0;
        }
        return mean[j];
    }

    /** What feature j's standardisation divides by: its standard deviation if dense, else its root mean square. */
    double scale(int j) {
        if (examples == 0 || count[j] == 0) {
            return 1.0;
        }
        double perExample = 1.0 / examples;
        return count[j] == examples ? denseStd(j, perExample) : sparseRms(j, perExample);
    }

    /** True when feature j was present in every example observed. */
    boolean isDense(int j) {
        return count[j] == examples;
    }

    /** How many features are dense. */
    int denseFeatures() {
        return denseFeatures;
    }

    /** Examples observed. */
    long examples() {
        return examples;
    }

    /** Features registered. */
    int features() {
        return features;
    }

    long count(int j) {
        return count[j];
    }

    double mean(int j) {
        return mean[j];
    }

    /** The sum of squared deviations from the mean over the examples where feature j was present. */
    double m2(int j) {
        return m2[j];
    }

    double min(int j) {
        return min[j];
    }

    double max(int j) {
        return max[j];
    }

    /**
     * Replaces every statistic: {@code examples} examples observed and, until {@link #set} says otherwise, every
     * registered feature absent from all of them. Call {@link #recountDense} when done.
     */
    void reset(long examples) {
        this.examples = examples;
        Arrays.fill(count, 0L);
        Arrays.fill(mean, 0.0);
        Arrays.fill(m2, 0.0);
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    /** Sets one feature's statistics, as a checkpoint or a model recorded them. Call {@link #recountDense} when done. */
    void set(int j, long count, double mean, double m2, double min, double max) {
        this.count[j] = count;
        this.mean[j] = mean;
        this.m2[j] = m2;
        this.min[j] = min;
        this.max[j] = max;
    }

    /** Derives which features are dense from the counts, after {@link #reset} or {@link #set}. */
    void recountDense() {
        int dense = 0;
        for (int j = 0; j < features; j++) {
            if (count[j] == examples) {
                dense++;
            }
        }
        denseFeatures = dense;
    }
}
