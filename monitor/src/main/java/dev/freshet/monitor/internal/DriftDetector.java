package dev.freshet.monitor.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.freshet.monitor.MonitorReport.ExampleWindow;
import dev.freshet.monitor.MonitorReport.FeatureDrift;

/**
 * Compares the distribution of the most recent examples with a reference window. Not thread-safe: the caller
 * serialises access.
 *
 * <p>The reference is the first {@code referenceSize} examples after construction or after
 * {@link #rebuildReference()}. Once {@code windowSize} more have arrived (so the two windows do not overlap),
 * the latest {@code windowSize} examples are compared with it every {@code checkEvery} examples. A feature absent
 * from an example counts as 0.0, as the models see it. Features first seen after the reference was taken are
 * not compared until the reference is rebuilt.
 *
 * <p>Numeric features (three or more distinct reference values, no '=' in the name) get PSI over the reference's
 * deciles and a Kolmogorov-Smirnov test; only they decide {@link Check#drifted()}, which drives the retrain
 * policy. One-hot groups ({@code channel=web}, {@code channel=app} form the group {@code channel}) and binary
 * features are compared as categories, by PSI and a chi-squared test; so are the labels. The positive-class score
 * is compared like a numeric feature. These are reported, not acted on.
 */
final class DriftDetector {
    static final String SCORE = "(score)";
    static final String LABEL = "(label)";
    private static final String NO_CATEGORY = "(none)";

    /** The outcome of one comparison: every numeric feature's PSI, those above the threshold, and everything. */
    record Check(Map<String, Double> psiByFeature, List<String> drifted, ExampleWindow reference,
                 ExampleWindow current, List<FeatureDrift> all) {
    }

    /** One example as the detector keeps it; score is NaN when the prediction had none. */
    private record Row(Map<String, Double> values, double score, String label, long seq, long ms) {
    }

    private final int referenceSize;
    private final int windowSize;
    private final int checkEvery;
    private final double threshold;

    private final List<Row> referenceRows = new ArrayList<>();
    private final ArrayDeque<Row> window = new ArrayDeque<>();
    private ExampleWindow reference;
    private List<String> features = List.of();
    private Map<String, String> skipped = Map.of();
    /** One-hot group name to its member features; binary features are groups of one. */
    private Map<String, List<String>> categorical = Map.of();
    private long sinceReference;
    /** A pinned reference is never replaced: {@link #rebuildReference()} only restarts the current window. */
    private boolean pinned;

    DriftDetector(int referenceSize, int windowSize, int checkEvery, double threshold) {
        this.referenceSize = referenceSize;
        this.windowSize = windowSize;
        this.checkEvery = checkEvery;
        this.threshold = threshold;
    }

    /** Adds an example without score or label; see {@link #add(Map, double, String, long, long)}. */
    Check add(Map<String, Double> values, long seq, long predictedAtMs) {
        return add(values, Double.NaN, "", seq, predictedAtMs);
    }

    /**
     * Adds the example with ordinal {@code seq}, its positive-class score (NaN if none) and label; returns the
     * comparison it triggered, or null if none.
     */
    Check add(Map<String, Double> values, double score, String label, long seq, long predictedAtMs) {
        Row row = new Row(values, score, label, seq, predictedAtMs);
        if (reference == null) {
            referenceRows.add(row);
            if (referenceRows.size() == referenceSize) {
                freezeReference();
            }
            return null;
        }
        window.addLast(row);
        if (window.size() > windowSize) {
            window.removeFirst();
        }
        sinceReference++;
        if (sinceReference < windowSize || (sinceReference - windowSize) % checkEvery != 0) {
            return null;
        }
        return compare();
    }

    /** Adds one example of a pinned baseline; call {@link #freezePinned()} after the last. */
    void addPinned(Map<String, Double> values, double score, String label, long predictedAtMs) {
        referenceRows.add(new Row(values, score, label, referenceRows.size() + 1, predictedAtMs));
    }

    /** Makes the examples given to {@link #addPinned} the reference for good. */
    void freezePinned() {
        if (referenceRows.isEmpty()) {
            throw new IllegalStateException("a pinned reference needs at least one example");
        }
        window.clear();
        freezeReference();
        pinned = true;
    }

    /** Forgets the reference; the next {@code referenceSize} examples become the new one (unless it is pinned). */
    void rebuildReference() {
        if (pinned) {
            window.clear();
            sinceReference = 0;
            return;
        }
        referenceRows.clear();
        window.clear();
        reference = null;
        sinceReference = 0;
    }

    /** Numeric features compared against the current reference by the retrain policy (empty while it is built). */
    List<String> features() {
        return features;
    }

    /** Features present in the reference but not compared by the retrain policy, with why. */
    Map<String, String> skipped() {
        return skipped;
    }

    private void freezeReference() {
        TreeSet<String> names = new TreeSet<>();
        referenceRows.forEach(row -> names.addAll(row.values().keySet()));
        List<String> compared = new ArrayList<>();
        Map<String, String> notCompared = new TreeMap<>();
        Map<String, List<String>> groups = new TreeMap<>();
        for (String name : names) {
            String why = Psi.whyNotComparable(name, column(referenceRows, name));
            if (why == null) {
                compared.add(name);
                continue;
            }
            notCompared.put(name, why);
            int eq = name.indexOf('=');
            if (eq >= 0) {
                groups.computeIfAbsent(name.substring(0, eq), g -> new ArrayList<>()).add(name);
            } else if (why.startsWith("binary")) {
                groups.put(name, List.of(name));
            }
        }
        features = List.copyOf(compared);
        skipped = Map.copyOf(notCompared);
        categorical = groups;
        Row first = referenceRows.get(0);
        Row last = referenceRows.get(referenceRows.size() - 1);
        reference = new ExampleWindow(referenceRows.size(), first.seq(), last.seq(),
            referenceRows.stream().mapToLong(Row::ms).min().orElse(0),
            referenceRows.stream().mapToLong(Row::ms).max().orElse(0));
        sinceReference = 0;
    }

    private Check compare() {
        List<Row> current = new ArrayList<>(window);
        Map<String, Double> psiByFeature = new LinkedHashMap<>();
        List<String> drifted = new ArrayList<>();
        List<FeatureDrift> all = new ArrayList<>();
        for (String f : features) {
            FeatureDrift d = numeric(f, "numeric", column(referenceRows, f), column(current, f));
            psiByFeature.put(f, d.psi());
            if (d.drifted()) {
                drifted.add(f);
            }
            all.add(d);
        }
        double[] refScores = scores(referenceRows);
        double[] curScores = scores(current);
        if (refScores.length >= 10 && curScores.length >= 10 && Psi.whyNotComparable(SCORE, refScores) == null) {
            all.add(numeric(SCORE, "score", refScores, curScores));
        }
        categorical.forEach((group, members) -> all.add(categorical(group, members, current)));
        if (referenceRows.stream().anyMatch(r -> !r.label().isEmpty())) {
            all.add(categories(LABEL, "label", referenceRows.stream().map(Row::label).toList(),
                current.stream().map(Row::label).toList()));
        }
        all.sort(Comparator.comparingDouble(FeatureDrift::psi).reversed());
        return new Check(psiByFeature, drifted, reference, currentWindow(), all);
    }

    private FeatureDrift numeric(String name, String kind, double[] ref, double[] cur) {
        double[] cuts = Psi.cutPoints(ref);
        double psi = Psi.psi(cuts, ref, cur);
        double ks = Stats.ksStatistic(ref, cur);
        List<String> bins = new ArrayList<>();
        for (int i = 0; i <= cuts.length; i++) {
            bins.add(i < cuts.length ? "≤" + format(cuts[i]) : ">" + format(cuts[cuts.length - 1]));
        }
        return new FeatureDrift(name, kind, psi, ks, Stats.ksPValue(ks, ref.length, cur.length), null, null,
            kind.equals("numeric") && psi > threshold, bins, shares(cuts, ref), shares(cuts, cur));
    }

    private FeatureDrift categorical(String group, List<String> members, List<Row> current) {
        return categories(group, "categorical", category(referenceRows, group, members),
            category(current, group, members));
    }

    private FeatureDrift categories(String name, String kind, List<String> ref, List<String> cur) {
        TreeSet<String> names = new TreeSet<>(ref);
        names.addAll(cur);
        List<String> bins = new ArrayList<>(names);
        long[] refCounts = counts(bins, ref);
        long[] curCounts = counts(bins, cur);
        double psi = 0;
        List<Double> refShares = new ArrayList<>();
        List<Double> curShares = new ArrayList<>();
        for (int k = 0; k < bins.size(); k++) {
            double r = (double) refCounts[k] / ref.size();
            double c = (double) curCounts[k] / cur.size();
            refShares.add(r);
            curShares.add(c);
            double re = Math.max(Psi.EPSILON, r);
            double ce = Math.max(Psi.EPSILON, c);
            psi += (ce - re) * Math.log(ce / re);
        }
        double[] chi = Stats.chiSquared(refCounts, curCounts);
        return new FeatureDrift(name, kind, psi, null, null, chi[0], Stats.chiSquaredPValue(chi[0], chi[1]), false,
            bins, refShares, curShares);
    }

    /** The category each row has in a one-hot group (the member set to a positive value), or the binary value. */
    private static List<String> category(List<Row> rows, String group, List<String> members) {
        List<String> out = new ArrayList<>(rows.size());
        boolean oneHot = members.get(0).indexOf('=') >= 0;
        for (Row row : rows) {
            if (!oneHot) {
                out.add(format(row.values().getOrDefault(group, 0.0)));
                continue;
            }
            String value = NO_CATEGORY;
            for (String m : members) {
                if (row.values().getOrDefault(m, 0.0) > 0) {
                    value = m.substring(group.length() + 1);
                    break;
                }
            }
            out.add(value);
        }
        return out;
    }

    private static long[] counts(List<String> bins, List<String> values) {
        long[] counts = new long[bins.size()];
        for (String v : values) {
            counts[bins.indexOf(v)]++;
        }
        return counts;
    }

    private static List<Double> shares(double[] cuts, double[] values) {
        double[] counts = new double[cuts.length + 1];
        for (double v : values) {
            counts[Psi.bin(cuts, v)]++;
        }
        return Arrays.stream(counts).map(c -> c / values.length).boxed().toList();
    }

    private static double[] column(List<Row> rows, String name) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i).values().getOrDefault(name, 0.0);
        }
        return out;
    }

    private static double[] scores(List<Row> rows) {
        return rows.stream().mapToDouble(Row::score).filter(s -> !Double.isNaN(s)).toArray();
    }

    private ExampleWindow currentWindow() {
        long from = window.stream().mapToLong(Row::ms).min().orElse(0);
        long to = window.stream().mapToLong(Row::ms).max().orElse(0);
        return new ExampleWindow(window.size(), window.peekFirst().seq(), window.peekLast().seq(), from, to);
    }

    private static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e9) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 1 ? "%.2f" : "%.3f", v);
    }
}
