package dev.freshet.monitor.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * ADWIN, adaptive windowing (Bifet and Gavalda, 2007), with its exponential histogram of buckets: keeps the longest
 * recent window whose two halves, at every split, have means closer than the Hoeffding-style bound epsilon_cut at
 * confidence {@code delta}, and drops the older part when a split fails. Only a rise of the mean raises an alarm
 * (a fall is an improvement; the window still shrinks). Splits are checked every {@value #CLOCK} values, as in MOA.
 */
final class Adwin implements ChangeDetector {
    private static final int MAX_BUCKETS_PER_SIZE = 5;
    private static final int CLOCK = 32;
    private static final int MIN_SUB_WINDOW = 5;

    /** count values with their sum and the sum of squared deviations from their mean. */
    private static final class Bucket {
        long count;
        double sum;
        double variance;

        Bucket(long count, double sum, double variance) {
            this.count = count;
            this.sum = sum;
            this.variance = variance;
        }
    }

    private final double delta;
    private final int minExamples;
    /** Oldest first; sizes never grow from older to newer. */
    private final List<Bucket> buckets = new ArrayList<>();
    private long width;
    private double total;
    private double variance;
    private long ticks;

    private Alarm lastAlarm;

    Adwin(double delta, int minExamples) {
        this.delta = delta;
        this.minExamples = minExamples;
    }

    @Override
    public boolean add(double x) {
        if (width > 0) {
            double mean = total / width;
            variance += (double) width * (x - mean) * (x - mean) / (width + 1);
        }
        width++;
        total += x;
        buckets.add(new Bucket(1, x, 0));
        compress();
        if (++ticks % CLOCK != 0 || width < Math.max(minExamples, 2 * MIN_SUB_WINDOW)) {
            return false;
        }
        return detect();
    }

    @Override
    public void reset() {
        buckets.clear();
        width = 0;
        total = 0;
        variance = 0;
    }

    /** Values in the current window. */
    long width() {
        return width;
    }

    private void compress() {
        long size = 1;
        while (true) {
            int first = -1;
            int count = 0;
            for (int i = 0; i < buckets.size(); i++) {
                if (buckets.get(i).count == size) {
                    if (first < 0) {
                        first = i;
                    }
                    count++;
                }
            }
            if (count <= MAX_BUCKETS_PER_SIZE) {
                return;
            }
            Bucket a = buckets.get(first);
            Bucket b = buckets.remove(first + 1);
            double ma = a.sum / a.count;
            double mb = b.sum / b.count;
            a.variance = a.variance + b.variance + (double) a.count * b.count * (ma - mb) * (ma - mb) / (a.count + b.count);
            a.count += b.count;
            a.sum += b.sum;
            size *= 2;
        }
    }

    private boolean detect() {
        boolean rise = false;
        boolean cut = true;
        long droppedCount = 0;
        double droppedSum = 0;
        double riseGap = 0;
        double riseEpsilon = 0;
        while (cut && buckets.size() > 1) {
            cut = false;
            long n0 = 0;
            double s0 = 0;
            double windowVariance = variance / width;
            double dd = Math.log(2 * Math.log(width) / delta);
            for (int i = 0; i < buckets.size() - 1; i++) {
                n0 += buckets.get(i).count;
                s0 += buckets.get(i).sum;
                long n1 = width - n0;
                double s1 = total - s0;
                if (n0 < MIN_SUB_WINDOW || n1 < MIN_SUB_WINDOW) {
                    continue;
                }
                double m = 1.0 / (n0 - MIN_SUB_WINDOW + 1) + 1.0 / (n1 - MIN_SUB_WINDOW + 1);
                double epsilon = Math.sqrt(2 * m * windowVariance * dd) + 2.0 / 3 * dd * m;
                double gap = s1 / n1 - s0 / n0;
                if (Math.abs(gap) > epsilon) {
                    cut = true;
                    if (gap > 0 && !rise) {
                        rise = true;
                        riseGap = gap;
                        riseEpsilon = epsilon;
                    }
                    Bucket oldest = buckets.get(0);
                    droppedCount += oldest.count;
                    droppedSum += oldest.sum;
                    dropOldest();
                    break;
                }
            }
        }
        if (rise) {
            lastAlarm = new Alarm(riseGap, riseEpsilon, droppedCount, droppedSum / droppedCount, width, total / width);
        }
        return rise;
    }

    private void dropOldest() {
        Bucket b = buckets.remove(0);
        long rest = width - b.count;
        double restMean = (total - b.sum) / rest;
        double bMean = b.sum / b.count;
        variance -= b.variance + (double) b.count * rest * (bMean - restMean) * (bMean - restMean) / width;
        variance = Math.max(0, variance);
        width = rest;
        total -= b.sum;
    }

    @Override
    public String name() {
        return "ADWIN";
    }

    @Override
    public Alarm lastAlarm() {
        return lastAlarm;
    }
}
