package dev.freshet.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.launcher.Freshet;

/**
 * Time from the publication of a bad model version to the monitor's ROLLBACK command, end to end: runs
 * {@code freshet demo --inject-bad-version} (embedded broker, all components, a version trained on inverted labels
 * published at 35% of the run) for each seed given (default 42 and 7) and reads the summary's timeline.
 *
 * <p>Baseline: the expected time until {@code monitor.rollback.min.samples} (50) labels of the version exist, which
 * any policy that judges a version on its labelled predictions must wait for: 50 predictions at the demo's request
 * rate plus the demo's mean label delay (1.75 s). A ratio near 1 means the monitor acts as soon as the labels are
 * there; the rest of the time is the label delay.
 */
public final class RollbackBench {
    private static final int EVENTS_PER_SECOND = 200;
    /** The demo's labels arrive uniformly 0.5 to 3 s after the prediction. */
    private static final long MEAN_LABEL_DELAY_MS = 1_750;
    private static final int MIN_SAMPLES = 50;

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.log.dev.freshet", "warn");
        List<Integer> seeds = args.length > 0 ? java.util.Arrays.stream(args).map(Integer::valueOf).toList()
            : List.of(42, 7);
        int runs = seeds.size();
        BenchReport report = new BenchReport("RollbackBench", args);
        double baselineMs = MEAN_LABEL_DELAY_MS + MIN_SAMPLES * 1000.0 / EVENTS_PER_SECOND;
        report.line("Each run: `freshet demo --duration 40s --events-per-second %d --inject-bad-version --seed N`; "
            + "baseline %.0f ms = %d predictions at %d/s + %d ms mean label delay.", EVENTS_PER_SECOND, baselineMs,
            MIN_SAMPLES, EVENTS_PER_SECOND, MEAN_LABEL_DELAY_MS);
        report.line("");
        report.line("| seed | bad version | publish to rollback (ms) | ratio to baseline | restored to |");
        report.line("|---|---|---|---|---|");
        List<Long> times = new ArrayList<>();
        for (int seed : seeds) {
            Path json = Files.createTempFile("freshet-rollback-bench-", ".json");
            int code = Freshet.execute("demo", "--duration", "40s", "--events-per-second",
                Integer.toString(EVENTS_PER_SECOND), "--inject-bad-version", "--seed", Integer.toString(seed),
                "--summary-json", json.toString());
            JsonNode timeline = new ObjectMapper().readTree(json.toFile()).get("timeline");
            Files.deleteIfExists(json);
            JsonNode rollback = timeline.get("bad_version_rollback");
            long bad = timeline.get("bad_version").get("version").asLong();
            if (code != 0 || rollback == null || rollback.isNull()) {
                report.line("| %d | v%d | not rolled back (exit code %d) | - | - |", seed, bad, code);
                continue;
            }
            long ms = timeline.get("publish_to_rollback_ms").asLong();
            times.add(ms);
            report.line("| %d | v%d | %d | %.2f | v%d |", seed, bad, ms, ms / baselineMs,
                rollback.get("restore_version").asLong());
        }
        if (!times.isEmpty()) {
            double mean = times.stream().mapToLong(Long::longValue).average().orElseThrow();
            report.line("");
            report.line("Mean publish to rollback: %.0f ms over %d of %d runs; ratio to baseline %.2f.", mean,
                times.size(), runs, mean / baselineMs);
        }
        report.write();
    }

    private RollbackBench() {
    }
}
