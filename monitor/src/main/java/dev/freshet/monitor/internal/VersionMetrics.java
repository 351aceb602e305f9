package dev.freshet.monitor.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.freshet.monitor.MonitorReport.AccuracyWindow;
import dev.freshet.monitor.MonitorReport.Calibration;
import dev.freshet.monitor.MonitorReport.ReliabilityBin;

/**
 * Accuracy, log loss, AUC per version and time window, and reliability bins per version, from labelled
 * predictions. Labels arrive late and out of order, so each example lands in the window of its predicted_at_ms,
 * whenever it is read. Not thread-safe.
 */
final class VersionMetrics {
    static final int AUC_BINS = 20;
    static final int CALIBRATION_BINS = 10;
    /** Older versions are forgotten past this many, to bound memory on a long run. */
    private static final int MAX_VERSIONS = 512;
    private static final double MIN_P = 1e-15;

    private static final class Bucket {
        long labelled;
        long correct;
        long scored;
        double logLossSum;
        final long[] positives = new long[AUC_BINS];
        final long[] negatives = new long[AUC_BINS];
    }

    private static final class Reliability {
        final long[] count = new long[CALIBRATION_BINS];
        final double[] scoreSum = new double[CALIBRATION_BINS];
        final long[] positives = new long[CALIBRATION_BINS];
    }

    private final long windowMs;
    private final TreeMap<Long, TreeMap<Long, Bucket>> buckets = new TreeMap<>();
    private final TreeMap<Long, Reliability> reliability = new TreeMap<>();

    VersionMetrics(long windowMs) {
        this.windowMs = windowMs;
    }

    /** Adds a labelled prediction; {@code score} is the positive-class probability, NaN when there is none. */
    void add(long version, long predictedAtMs, boolean correct, double score, boolean positive) {
        long start = Math.floorDiv(predictedAtMs, windowMs) * windowMs;
        Bucket b = buckets.computeIfAbsent(version, v -> new TreeMap<>()).computeIfAbsent(start, s -> new Bucket());
        b.labelled++;
        if (correct) {
            b.correct++;
        }
        if (!Double.isNaN(score)) {
            double p = Math.min(1 - MIN_P, Math.max(MIN_P, score));
            b.scored++;
            b.logLossSum -= positive ? Math.log(p) : Math.log(1 - p);
            int bin = bin(score, AUC_BINS);
            (positive ? b.positives : b.negatives)[bin]++;
            Reliability r = reliability.computeIfAbsent(version, v -> new Reliability());
            int cb = bin(score, CALIBRATION_BINS);
            r.count[cb]++;
            r.scoreSum[cb] += score;
            if (positive) {
                r.positives[cb]++;
            }
        }
        while (buckets.size() > MAX_VERSIONS) {
            long oldest = buckets.firstKey();
            buckets.remove(oldest);
            reliability.remove(oldest);
        }
    }

    List<AccuracyWindow> windows() {
        List<AccuracyWindow> out = new ArrayList<>();
        for (Map.Entry<Long, TreeMap<Long, Bucket>> v : buckets.entrySet()) {
            for (Map.Entry<Long, Bucket> w : v.getValue().entrySet()) {
                Bucket b = w.getValue();
                out.add(new AccuracyWindow(v.getKey(), w.getKey(), w.getKey() + windowMs, b.labelled, b.correct,
                    (double) b.correct / b.labelled, b.scored, b.scored == 0 ? null : b.logLossSum / b.scored,
                    auc(b.positives, b.negatives)));
            }
        }
        out.sort(Comparator.comparingLong(AccuracyWindow::fromMs).thenComparingLong(AccuracyWindow::version));
        return out;
    }

    List<Calibration> calibration() {
        List<Calibration> out = new ArrayList<>();
        reliability.forEach((version, r) -> {
            List<ReliabilityBin> bins = new ArrayList<>();
            long scored = 0;
            for (int i = 0; i < CALIBRATION_BINS; i++) {
                long n = r.count[i];
                scored += n;
                bins.add(new ReliabilityBin((double) i / CALIBRATION_BINS, (double) (i + 1) / CALIBRATION_BINS, n,
                    n == 0 ? null : r.scoreSum[i] / n, n == 0 ? null : (double) r.positives[i] / n));
            }
            out.add(new Calibration(version, scored, bins));
        });
        return out;
    }

    /**
     * AUC as the Mann-Whitney statistic over score bins: the chance that a random positive scores above a random
     * negative, ties (same bin) counting half. Null unless both classes occur.
     */
    static Double auc(long[] positives, long[] negatives) {
        long p = 0;
        long n = 0;
        for (int i = 0; i < positives.length; i++) {
            p += positives[i];
            n += negatives[i];
        }
        if (p == 0 || n == 0) {
            return null;
        }
        double wins = 0;
        long negativesBelow = 0;
        for (int i = 0; i < positives.length; i++) {
            wins += positives[i] * (negativesBelow + 0.5 * negatives[i]);
            negativesBelow += negatives[i];
        }
        return wins / ((double) p * n);
    }

    private static int bin(double score, int bins) {
        return Math.max(0, Math.min(bins - 1, (int) Math.floor(score * bins)));
    }
}
