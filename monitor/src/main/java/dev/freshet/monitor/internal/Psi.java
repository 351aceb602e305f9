package dev.freshet.monitor.internal;

import java.util.Arrays;

/**
 * Population stability index over quantile bins of a reference sample.
 *
 * <p>PSI = sum over bins of (current share - reference share) * ln(current share / reference share). Bin edges
 * are the reference's deciles; equal deciles (ties) merge bins. Shares of empty bins are raised to
 * {@link #EPSILON} so that the logarithm stays finite.
 */
final class Psi {
    static final int BINS = 10;
    static final double EPSILON = 1e-4;

    private Psi() {
    }

    /**
     * Why PSI is meaningless for this feature, or null when it is not. A one-hot feature (its name has '=', per
     * the shared feature encoding) or one with fewer than three distinct reference values (constant, boolean)
     * would put every value into one or two bins, where a PSI says little and jumps with sampling noise.
     */
    static String whyNotComparable(String feature, double[] reference) {
        if (feature.indexOf('=') >= 0) {
            return "one-hot (name has '=')";
        }
        long distinct = Arrays.stream(reference).distinct().limit(3).count();
        if (distinct == 1) {
            return "constant in the reference window";
        }
        if (distinct == 2) {
            return "binary (two distinct values in the reference window)";
        }
        return null;
    }

    /** Upper edges of the bins: the reference's deciles (nearest rank), without duplicates. */
    static double[] cutPoints(double[] reference) {
        double[] sorted = reference.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        double[] cuts = new double[BINS - 1];
        for (int i = 1; i < BINS; i++) {
            int rank = (int) Math.ceil((double) i * n / BINS);
            cuts[i - 1] = sorted[Math.max(0, rank - 1)];
        }
        return Arrays.stream(cuts).distinct().toArray();
    }

    /** Bin of {@code value}: the first cut point at or above it, or the last bin beyond all cut points. */
    static int bin(double[] cuts, double value) {
        int i = Arrays.binarySearch(cuts, value);
        return i >= 0 ? i : -i - 1;
    }

    static double psi(double[] cuts, double[] reference, double[] current) {
        double[] ref = shares(cuts, reference);
        double[] cur = shares(cuts, current);
        double sum = 0;
        for (int i = 0; i < ref.length; i++) {
            sum += (cur[i] - ref[i]) * Math.log(cur[i] / ref[i]);
        }
        return sum;
    }

    /**
     * The PSI two samples of these sizes from one distribution show on average, by the chi-squared
     * approximation of the symmetric divergence: (bins - 1) * (1/n1 + 1/n2).
     */
    static double expectedByChance(int bins, int n1, int n2) {
        return (bins - 1) * (1.0 / n1 + 1.0 / n2);
    }

    private static double[] shares(double[] cuts, double[] values) {
        double[] counts = new double[cuts.length + 1];
        for (double v : values) {
            counts[bin(cuts, v)]++;
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] = Math.max(EPSILON, counts[i] / values.length);
        }
        return counts;
    }
}
