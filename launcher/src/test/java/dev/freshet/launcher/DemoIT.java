package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code freshet demo --inject-bad-version} once, end to end on the embedded broker, and checks its JSON
 * summary the way a user would read it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DemoIT {
    private JsonNode summary;
    private String screen;

    @BeforeAll
    void runDemo(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("summary.json");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int exitCode;
        try (PrintStream tee = new PrintStream(new TeeStream(original, captured), true, StandardCharsets.UTF_8)) {
            System.setOut(tee);
            exitCode = Freshet.execute("demo", "--duration", "45s", "--events-per-second", "150",
                "--inject-bad-version", "--summary-json", json.toString());
        } finally {
            System.setOut(original);
        }
        screen = captured.toString(StandardCharsets.UTF_8);
        assertThat(exitCode).as("exit code; screen:%n%s", screen).isZero();
        summary = new ObjectMapper().readTree(json.toFile());
    }

    @Test
    void everyMalformedEventIsDeadLetteredWithItsReason() {
        JsonNode events = summary.get("events");
        JsonNode sent = events.get("produced_by_kind");
        JsonNode dead = events.get("dead_lettered_by_reason");
        assertThat(sent.get("MALFORMED_JSON").asLong()).isPositive();
        assertThat(dead.path("MALFORMED_JSON").asLong()).isEqualTo(sent.get("MALFORMED_JSON").asLong());
        assertThat(dead.path("MISSING_FIELD").asLong()).isEqualTo(sent.get("MISSING_ENTITY").asLong());
        assertThat(dead.path("WRONG_TYPE").asLong()).isEqualTo(sent.get("WRONG_TYPE").asLong());
        assertThat(events.get("ingested").asLong()).isEqualTo(events.get("produced").asLong());
    }

    @Test
    void kafkaConfirmedEveryEventAndLabelTheDemoSent() {
        assertThat(screen).containsPattern("Kafka confirmed ([\\d,]+) of the \\1 events and labels the demo sent\\.");
    }

    @Test
    void predictionsComeFromIncreasingModelVersions() {
        JsonNode byVersion = summary.get("predictions").get("served_by_version");
        List<Long> versions = new ArrayList<>();
        byVersion.fieldNames().forEachRemaining(v -> versions.add(Long.parseLong(v)));
        assertThat(versions).hasSizeGreaterThanOrEqualTo(10);
        assertThat(summary.get("models").get("versions_published").asInt()).isGreaterThanOrEqualTo(10);
        assertThat(summary.get("predictions").get("served").asLong()).isGreaterThan(3000);
    }

    @Test
    void learnsWellAboveTheMajorityClassRate() {
        double majority = summary.get("predictions").get("majority_class_rate").asDouble();
        double bestServedAccuracy = 0;
        for (JsonNode version : summary.get("models").get("versions")) {
            if (version.get("labelled_predictions").asLong() >= 100 && !version.get("barred").asBoolean()) {
                bestServedAccuracy = Math.max(bestServedAccuracy, version.get("served_accuracy").asDouble());
            }
        }
        assertThat(bestServedAccuracy).isGreaterThan(majority + 0.15);
        assertThat(summary.get("predictions").get("rolling_accuracy").get("accuracy").asDouble())
            .isGreaterThan(majority + 0.05);
    }

    @Test
    void theInjectedBadVersionIsRolledBack() {
        JsonNode timeline = summary.get("timeline");
        long bad = timeline.get("bad_version").get("version").asLong();
        assertThat(timeline.get("bad_version_rollback").isNull()).as("no rollback; screen:%n%s", screen).isFalse();
        assertThat(timeline.get("bad_version_rollback").get("restore_version").asLong()).isLessThan(bad);
        assertThat(timeline.get("publish_to_rollback_ms").asLong()).isLessThan(20_000);
        for (JsonNode version : summary.get("models").get("versions")) {
            if (version.get("version").asLong() == bad) {
                assertThat(version.get("barred").asBoolean()).isTrue();
            }
        }
    }

    @Test
    void conceptDriftIsDetectedOnTheDriftedFeature() {
        assertThat(summary.get("timeline").get("concept_drift_at_ms").asLong()).isPositive();
        List<String> drifted = new ArrayList<>();
        summary.get("drift_events").forEach(e -> drifted.add(e.get("feature").asText()));
        assertThat(drifted).contains("velocity");
    }

    @Test
    void labelsReachServingWithinSeconds() {
        JsonNode freshness = summary.get("label_to_serving_freshness");
        assertThat(freshness.get("count").asLong()).isPositive();
        assertThat(freshness.get("p50_ms").asLong()).isLessThan(5_000);
    }

    @Test
    void screenShowsProgressAndSummary() {
        assertThat(screen).contains("rolling accuracy").contains("Summary").contains("rolled back");
    }

    /** Writes to the console and keeps a copy for assertions. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int value) throws java.io.IOException {
            a.write(value);
            b.write(value);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws java.io.IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }
    }
}
