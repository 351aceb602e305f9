package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class FreshetCommandLineTest {

    @Test
    void rejectsAnUnreadableDurationWithAnExample() {
        Result result = run("demo", "--duration", "ten");
        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.err).contains("'ten' is not a duration; use e.g. 90s, 5m or 1h");
    }

    @Test
    void rejectsADemoTooShortToTrainAModel() {
        Result result = run("demo", "--duration", "3s");
        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.err).contains("--duration must be at least 10s");
    }

    @Test
    void rejectsAnUnknownComponentByName() {
        Result result = run("run", "--bootstrap-servers", "localhost:1", "--components", "trainer,scorer");
        assertThat(result.exitCode).isEqualTo(2);
        assertThat(result.err).contains("Unknown component 'scorer'");
    }

    @Test
    void configDocsListsEveryComponentsKeys() {
        Result result = run("config", "docs");
        assertThat(result.exitCode).isZero();
        assertThat(result.out).contains("featurestore.view.file", "trainer.publish.interval.ms", "serving.port",
            "monitor.rollback.margin", "topics.prefix");
    }

    private record Result(int exitCode, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Freshet.execute(args);
        } finally {
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
