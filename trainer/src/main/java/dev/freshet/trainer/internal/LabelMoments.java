package dev.freshet.trainer.internal;

/**
 * The running mean and variance (Welford) of a regression's label, which standardise it while learning so that one
 * learning rate suits any label scale. Not thread-safe.
 */
final class LabelMoments {
    private long count;
    private double mean;
    private double m2;

    LabelMoments copy() {
        LabelMoments copy = new LabelMoments();
        copy.set(count, mean, m2);
        return copy;
    }

    /** Takes one label value into the moments. */
    void observe(double x) {
        long c = ++count;
        double delta = x - mean;
        mean += delta / c;
        m2 += delta * (x - mean);
    }

    /** The standard deviation so far, or 1 while the label is (so far) constant. */
    double std() {
        if (count < 2) {
            return 1.0;
        }
        double std = Math.sqrt(Math.max(m2 / count, 0.0));
        return std < RunningStandardiser.MIN_STD ? 1.0 : std;
    }

    long count() {
        return count;
    }

    double mean() {
        return mean;
    }

    /** The sum of squared deviations from the mean. */
    double m2() {
        return m2;
    }

    /** Sets the moments, as a checkpoint recorded them. */
    void set(long count, double mean, double m2) {
        this.count = count;
        this.mean = mean;
        this.m2 = m2;
    }
}
