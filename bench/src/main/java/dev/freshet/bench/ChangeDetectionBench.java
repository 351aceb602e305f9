package dev.freshet.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.DoublePredicate;
import java.util.function.Supplier;

import dev.freshet.monitor.testing.ChangeDetectors;
import moa.classifiers.core.driftdetection.ADWINChangeDetector;
import moa.classifiers.core.driftdetection.ChangeDetector;
import moa.classifiers.core.driftdetection.PageHinkleyDM;

/**
 * Detection delay and false alarms per 10,000 examples of the monitor's error-stream change detectors
 * (Page-Hinkley, ADWIN), against MOA's implementations of the same detectors with their default parameters, on
 * error streams with abrupt concept drift at known points:
 * <ul>
 *   <li>synthetic: a Bernoulli error stream at 0.10 whose rate jumps by 0.10, 0.20 or 0.40 every 10,000 examples
 *       and decays back as a learner would relearn (time constant 1,500), 5 seeds;</li>
 *   <li>Elec2 and NOAA weather (the shared benchmark data, BenchReport.sharedData()): the errors of a prequential online logistic regression, with
 *       the labels inverted from each injected drift point to the next (every 5,000 examples).</li>
 * </ul>
 * An alarm within {@value #TOLERANCE} examples after a drift point detects it (the first one gives the delay);
 * every other alarm is false. On the real streams "false" includes the data's own drift; the unmodified streams'
 * alarm rates are reported too.
 */
public final class ChangeDetectionBench {
    private static final int TOLERANCE = 2_000;
    private static final Path DATA = BenchReport.sharedData();

    private record Stream(String name, double[] errors, List<Integer> driftPoints) {
    }

    private record Result(int detected, int missed, double meanDelay, double falseAlarmsPer10k) {
    }

    public static void main(String[] args) throws IOException {
        BenchReport report = new BenchReport("ChangeDetectionBench", args);
        Map<String, Supplier<DoublePredicate>> detectors = new LinkedHashMap<>();
        detectors.put("Freshet Page-Hinkley", () -> ChangeDetectors.create("page-hinkley"));
        detectors.put("MOA PageHinkleyDM", () -> moa(new PageHinkleyDM()));
        detectors.put("Freshet ADWIN", () -> ChangeDetectors.create("adwin"));
        detectors.put("MOA ADWINChangeDetector", () -> moa(new ADWINChangeDetector()));

        List<Stream> streams = new ArrayList<>();
        for (int seed = 1; seed <= 5; seed++) {
            streams.add(synthetic(seed));
        }
        List<Stream> natural = new ArrayList<>();
        for (String dataset : List.of("elecNormNew.arff", "noaa_weather_nebraska.csv")) {
            Path file = DATA.resolve(dataset);
            if (!Files.exists(file)) {
                report.line("_%s skipped: %s is absent._", dataset, file);
                continue;
            }
            Dataset d = dataset.endsWith(".arff") ? elec2(file) : noaa(file);
            streams.add(new Stream(d.name + " + label inversion every 5,000", prequentialErrors(d, 5_000),
                points(d.labels.length, 5_000)));
            natural.add(new Stream(d.name + " unmodified", prequentialErrors(d, 0), List.of()));
        }

        report.line("Defaults: Freshet Page-Hinkley delta 0.005, lambda 50, 30 minimum examples (plain running mean); "
            + "MOA PageHinkleyDM delta 0.005, lambda 50, alpha 0.9999, 30 minimum; ADWIN delta 0.002 in both. "
            + "Detection window %d examples after each drift point.", TOLERANCE);
        report.line("");
        report.line("| stream | examples | drift points | detector | detected | missed | mean delay (examples) "
            + "| false alarms / 10k |");
        report.line("|---|---|---|---|---|---|---|---|");
        Map<String, double[]> totals = new LinkedHashMap<>();
        for (Stream s : streams) {
            for (Map.Entry<String, Supplier<DoublePredicate>> d : detectors.entrySet()) {
                Result r = evaluate(s, d.getValue().get());
                report.line("| %s | %d | %d | %s | %d | %d | %s | %.2f |", s.name, s.errors.length, s.driftPoints.size(),
                    d.getKey(), r.detected, r.missed, Double.isNaN(r.meanDelay) ? "-" : String.format(Locale.ROOT,
                        "%.0f", r.meanDelay), r.falseAlarmsPer10k);
                totals.put(key(s, d.getKey()), accumulate(totals.get(key(s, d.getKey())), r));
            }
        }
        report.line("");
        report.line("Alarms per 10k on the unmodified real streams (their own drift; no known points):");
        report.line("");
        report.line("| stream | detector | alarms / 10k |");
        report.line("|---|---|---|");
        for (Stream s : natural) {
            for (Map.Entry<String, Supplier<DoublePredicate>> d : detectors.entrySet()) {
                report.line("| %s | %s | %.2f |", s.name, d.getKey(), evaluate(s, d.getValue().get()).falseAlarmsPer10k);
            }
        }
        report.line("");
        report.line("Ratios Freshet / MOA (same detector, same streams; delay summed over detected drifts of all "
            + "streams, false alarms summed; below 1 is better for Freshet):");
        report.line("");
        report.line("| detector | delay ratio | false-alarm ratio | detected (Freshet / MOA) |");
        report.line("|---|---|---|---|");
        for (String[] pair : new String[][] {{"Freshet Page-Hinkley", "MOA PageHinkleyDM"},
                {"Freshet ADWIN", "MOA ADWINChangeDetector"}}) {
            double[] f = sum(totals, pair[0]);
            double[] m = sum(totals, pair[1]);
            report.line("| %s | %.2f | %s | %.0f / %.0f |", pair[0].substring(8), (f[1] / f[0]) / (m[1] / m[0]),
                m[2] == 0 ? String.format(Locale.ROOT, "- (%.2f vs %.2f per 10k summed over streams)", f[2], m[2])
                    : String.format(Locale.ROOT, "%.2f", f[2] / m[2]), f[0], m[0]);
        }
        report.write();
    }

    // ---- evaluation ---------------------------------------------------------------------------------------------

    private static Result evaluate(Stream s, DoublePredicate detector) {
        int next = 0;
        int detected = 0;
        double delays = 0;
        int falseAlarms = 0;
        boolean currentFound = false;
        int current = -1;
        for (int i = 0; i < s.errors.length; i++) {
            while (next < s.driftPoints.size() && s.driftPoints.get(next) <= i) {
                current = s.driftPoints.get(next++);
                currentFound = false;
            }
            if (!detector.test(s.errors[i])) {
                continue;
            }
            if (current >= 0 && i - current < TOLERANCE && !currentFound) {
                currentFound = true;
                detected++;
                delays += i - current;
            } else if (current < 0 || i - current >= TOLERANCE) {
                falseAlarms++;
            }
        }
        return new Result(detected, s.driftPoints.size() - detected, detected == 0 ? Double.NaN : delays / detected,
            falseAlarms * 10_000.0 / s.errors.length);
    }

    private static String key(Stream s, String detector) {
        return detector + "|" + s.name;
    }

    /** {detected, summed delay, false alarms} */
    private static double[] accumulate(double[] t, Result r) {
        double[] out = t == null ? new double[3] : t;
        out[0] += r.detected;
        out[1] += Double.isNaN(r.meanDelay) ? 0 : r.meanDelay * r.detected;
        out[2] += r.falseAlarmsPer10k;
        return out;
    }

    private static double[] sum(Map<String, double[]> totals, String detector) {
        double[] out = new double[3];
        totals.forEach((k, v) -> {
            if (k.startsWith(detector + "|") && v.length == 3) {
                for (int i = 0; i < 3; i++) {
                    out[i] += v[i];
                }
            }
        });
        return out;
    }

    private static DoublePredicate moa(ChangeDetector detector) {
        ((moa.options.AbstractOptionHandler) detector).prepareForUse();
        return x -> {
            detector.input(x);
            return detector.getChange();
        };
    }

    // ---- streams ------------------------------------------------------------------------------------------------

    private static Stream synthetic(int seed) {
        Random random = new Random(seed);
        int n = 100_000;
        double[] jumps = {0.10, 0.20, 0.40};
        double[] errors = new double[n];
        List<Integer> points = points(n, 10_000);
        int drift = -1;
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (points.contains(i)) {
                drift = i;
                k++;
            }
            double rate = 0.10;
            if (drift >= 0) {
                rate += jumps[(k - 1) % jumps.length] * Math.exp(-(i - drift) / 1_500.0);
            }
            errors[i] = random.nextDouble() < rate ? 1 : 0;
        }
        return new Stream("synthetic seed " + seed, errors, points);
    }

    private static List<Integer> points(int n, int every) {
        List<Integer> out = new ArrayList<>();
        for (int p = every; p < n; p += every) {
            out.add(p);
        }
        return out;
    }

    private record Dataset(String name, double[][] features, int[] labels) {
    }

    /**
     * Errors of an online logistic regression tested then trained on each example in order, features standardised
     * with running means and variances. With {@code invertEvery} &gt; 0 the label is inverted from each multiple of it
     * to the next.
     */
    private static double[] prequentialErrors(Dataset d, int invertEvery) {
        int f = d.features[0].length;
        double[] w = new double[f + 1];
        double[] mean = new double[f];
        double[] m2 = new double[f];
        double[] errors = new double[d.labels.length];
        double[] x = new double[f];
        for (int i = 0; i < d.labels.length; i++) {
            int y = d.labels[i];
            if (invertEvery > 0 && (i / invertEvery) % 2 == 1) {
                y = 1 - y;
            }
            for (int j = 0; j < f; j++) {
                double v = d.features[i][j];
                double delta = v - mean[j];
                mean[j] += delta / (i + 1);
                m2[j] += delta * (v - mean[j]);
                double sd = i > 0 ? Math.sqrt(m2[j] / i) : 1;
                x[j] = sd > 0 ? (v - mean[j]) / sd : 0;
            }
            double z = w[f];
            for (int j = 0; j < f; j++) {
                z += w[j] * x[j];
            }
            double p = 1 / (1 + Math.exp(-z));
            errors[i] = (p >= 0.5 ? 1 : 0) == y ? 0 : 1;
            double g = y - p;
            for (int j = 0; j < f; j++) {
                w[j] += 0.05 * g * x[j];
            }
            w[f] += 0.05 * g;
        }
        return errors;
    }

    /** Elec2: every attribute but the date; UP is 1. */
    private static Dataset elec2(Path file) throws IOException {
        List<double[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file)) {
            boolean data = false;
            for (String line; (line = in.readLine()) != null; ) {
                line = line.trim();
                if (!data) {
                    data = line.equalsIgnoreCase("@data");
                    continue;
                }
                if (line.isEmpty() || line.startsWith("%")) {
                    continue;
                }
                String[] p = line.split(",");
                double[] row = new double[p.length - 2];
                for (int j = 1; j < p.length - 1; j++) {
                    row[j - 1] = Double.parseDouble(p[j]);
                }
                rows.add(row);
                labels.add(p[p.length - 1].trim().equals("UP") ? 1 : 0);
            }
        }
        return new Dataset("Elec2", rows.toArray(new double[0][]), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** NOAA weather (Nebraska): eight numeric columns; rain is the label. */
    private static Dataset noaa(Path file) throws IOException {
        List<double[]> rows = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.split(",");
            double[] row = new double[p.length - 1];
            for (int j = 0; j < row.length; j++) {
                row[j] = Double.parseDouble(p[j]);
            }
            rows.add(row);
            labels.add((int) Double.parseDouble(p[p.length - 1]));
        }
        return new Dataset("NOAA weather", rows.toArray(new double[0][]), labels.stream().mapToInt(Integer::intValue).toArray());
    }

    private ChangeDetectionBench() {
    }
}
