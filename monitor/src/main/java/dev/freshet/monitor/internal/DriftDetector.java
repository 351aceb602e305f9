package dev.freshet.monitor.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.freshet.monitor.MonitorReport.ExampleWindow;

/**
 * Compares the feature distribution of the most recent examples with a reference window, by PSI per numeric
 * feature. Not thread-safe: the caller serialises access.
 *
 * <p>The reference is the first {@code referenceSize} examples after construction or after
 * {@link #rebuildReference()}. Once {@code windowSize} more have arrived (so the two windows do not overlap),
 * the latest {@code windowSize} examples are compared with it every {@code checkEvery} examples. A feature absent
 * from an example counts as 0.0, as the models see it. Features first seen after the reference was taken are
 * not compared until the reference is rebuilt.
 */
final class DriftDetector {
    /** The outcome of one comparison: every compared feature's PSI, and those above the threshold. */
    record Check(Map<String, Double> psiByFeature, List<String> drifted, ExampleWindow reference,
                 ExampleWindow current) {
    }

    private final int referenceSize;
    private final int windowSize;
    private final int checkEvery;
    private final double threshold;

    private final List<Map<String, Double>> referenceRows = new ArrayList<>();
    private long referenceFirstSeq;
    private long referenceFromMs = Long.MAX_VALUE;
    private long referenceToMs = Long.MIN_VALUE;
    private long referenceLastSeq;

    private ExampleWindow reference;
    private List<String> features = List.of();
    private Map<String, String> skipped = Map.of();
    private double[][] referenceValues;
    private double[][] cuts;

    private double[][] window;
    private long[] windowSeq;
    private long[] windowMs;
    private int head;
    private long sinceReference;

    DriftDetector(int referenceSize, int windowSize, int checkEvery, double threshold) {
        this.referenceSize = referenceSize;
        this.windowSize = windowSize;
        this.checkEvery = checkEvery;
        this.threshold = threshold;
    }

    /** Adds the example with ordinal {@code seq}; returns the comparison it triggered, or null if none. */
    Check add(Map<String, Double> values, long seq, long predictedAtMs) {
        if (reference == null) {
            addToReference(values, seq, predictedAtMs);
            return null;
        }
        if (features.isEmpty()) {
            return null;
        }
        double[] row = window[head];
        for (int f = 0; f < features.size(); f++) {
            row[f] = values.getOrDefault(features.get(f), 0.0);
        }
        windowSeq[head] = seq;
        windowMs[head] = predictedAtMs;
        head = (head + 1) % windowSize;
        sinceReference++;
        if (sinceReference < windowSize || (sinceReference - windowSize) % checkEvery != 0) {
            return null;
        }
        return compare();
    }

    /** Forgets the reference; the next {@code referenceSize} examples become the new one. */
    void rebuildReference() {
        referenceRows.clear();
        referenceFromMs = Long.MAX_VALUE;
        referenceToMs = Long.MIN_VALUE;
        reference = null;
        sinceReference = 0;
        head = 0;
    }

    /** Features compared against the current reference (empty while it is being built). */
    List<String> features() {
        return features;
    }

    /** Features present in the reference but not compared, with why. */
    Map<String, String> skipped() {
        return skipped;
    }

    private void addToReference(Map<String, Double> values, long seq, long predictedAtMs) {
        if (referenceRows.isEmpty()) {
            referenceFirstSeq = seq;
        }
        referenceRows.add(values);
        referenceLastSeq = seq;
        referenceFromMs = Math.min(referenceFromMs, predictedAtMs);
        referenceToMs = Math.max(referenceToMs, predictedAtMs);
        if (referenceRows.size() == referenceSize) {
            freezeReference();
        }
    }

    private void freezeReference() {
        TreeSet<String> names = new TreeSet<>();
        referenceRows.forEach(row -> names.addAll(row.keySet()));
        List<String> compared = new ArrayList<>();
        Map<String, String> notCompared = new TreeMap<>();
        List<double[]> values = new ArrayList<>();
        for (String name : names) {
            double[] column = new double[referenceRows.size()];
            for (int i = 0; i < column.length; i++) {
                column[i] = referenceRows.get(i).getOrDefault(name, 0.0);
            }
            String why = Psi.whyNotComparable(name, column);
            if (why == null) {
                compared.add(name);
                values.add(column);
            } else {
                notCompared.put(name, why);
            }
        }
        features = List.copyOf(compared);
        skipped = Map.copyOf(notCompared);
        referenceValues = values.toArray(new double[0][]);
        cuts = new double[referenceValues.length][];
        for (int f = 0; f < cuts.length; f++) {
            cuts[f] = Psi.cutPoints(referenceValues[f]);
        }
        reference = new ExampleWindow(referenceRows.size(), referenceFirstSeq, referenceLastSeq,
            referenceFromMs, referenceToMs);
        referenceRows.clear();
        window = new double[windowSize][features.size()];
        windowSeq = new long[windowSize];
        windowMs = new long[windowSize];
        head = 0;
        sinceReference = 0;
    }

    private Check compare() {
        Map<String, Double> psiByFeature = new LinkedHashMap<>();
        List<String> drifted = new ArrayList<>();
        double[] column = new double[windowSize];
        for (int f = 0; f < features.size(); f++) {
            for (int i = 0; i < windowSize; i++) {
                column[i] = window[i][f];
            }
            double psi = Psi.psi(cuts[f], referenceValues[f], column);
            psiByFeature.put(features.get(f), psi);
            if (psi > threshold) {
                drifted.add(features.get(f));
            }
        }
        return new Check(psiByFeature, drifted, reference, currentWindow());
    }

    private ExampleWindow currentWindow() {
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        for (long ms : windowMs) {
            from = Math.min(from, ms);
            to = Math.max(to, ms);
        }
        // head points at the oldest entry once the ring is full, which it is whenever a comparison runs.
        long first = windowSeq[head];
        long last = windowSeq[(head + windowSize - 1) % windowSize];
        return new ExampleWindow(windowSize, first, last, from, to);
    }
}
