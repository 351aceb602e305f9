package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreshetCommandLineTest {

    @Test
    void rejectsAnUnreadableDurationWithAnExample() {
        CliRun result = CliRun.of("demo", "--duration", "ten");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("'ten' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
    }

    @Test
    void refusesAReplayStepOutsideTheDurationGrammarBeforeReachingKafka(@TempDir Path dir) throws Exception {
        Path rows = Files.writeString(dir.resolve("rows.csv"), "day,load\n1,0.5\n");

        CliRun result = CliRun.of("replay", rows.toString(), "--topic", "t", "--bootstrap-servers", "localhost:1",
            "--start", "2026-01-01T00:00:00Z", "--step", "10x");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--step '10x' is not a duration; use a whole number and a unit, e.g. "
            + "500ms, 30s, 10m, 1h, 1d.");
    }

    @Test
    void refusesAnInvalidModelSpecWithEveryProblemAndExitCodeTwo(@TempDir Path dir) throws Exception {
        Path spec = Files.writeString(dir.resolve("model.yaml"), """
            name: fraud
            feature_view: {name: transactions, version: 1}
            task: binary
            labels: ["0", "1"]
            publish: {interval: 1d, every_exampels: 10}
            l2: lots
            """);

        CliRun result = CliRun.of("run", "--bootstrap-servers", "localhost:1", "--components", "trainer",
            "-D", "trainer.spec.file=" + spec);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Model spec " + spec + " is invalid: 2 problems: l2: 'lots' is not a "
            + "number; publish.every_exampels: unknown field; expected one of [every_examples, min_examples, "
            + "interval, max_delay]; did you mean 'every_examples'?");
    }

    @Test
    void rejectsADemoTooShortToTrainAModel() {
        CliRun result = CliRun.of("demo", "--duration", "3s");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--duration must be at least 10s");
    }

    @Test
    void rejectsAnUnknownComponentByName() {
        CliRun result = CliRun.of("run", "--bootstrap-servers", "localhost:1", "--components", "trainer,scorer");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("Unknown component 'scorer'");
    }

    @Test
    void configDocsListsEveryComponentsKeys() {
        CliRun result = CliRun.of("config", "docs");
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("featurestore.view.file", "trainer.publish.interval.ms", "serving.port",
            "monitor.rollback.margin", "topics.prefix");
    }

    @Test
    void demoRefusesAMisspeltKeyBeforeStartingABroker() {
        CliRun result = CliRun.of("demo", "-D", "monitor.rollbak.margin=0.2");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("did you mean 'monitor.rollback.margin'?").doesNotContain("broker at");
    }

    @Test
    void configDocsDocumentsThePassThroughPrefix() {
        assertThat(CliRun.of("config", "docs").out()).contains("kafka.<setting>", "kafka.security.protocol");
    }
}
