package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A secret given with -D is visible in ps; the CLI says so, once, and says what to do instead. */
class SecretsOnTheCommandLineTest {

    @Test
    void warnsOnceNamingEverySecretKeyButNotItsValue() {
        // The misspelt key stops the command before it reaches any cluster; the warning comes first.
        CliRun run = CliRun.of("run", "--bootstrap-servers", "localhost:1", "-D", "serving.admin.token=t0k3n-a",
            "-D", "kafka.sasl.jaas.config=PlainLoginModule required password=\"pw-b\";",
            "-D", "kafka.producer.ssl.key.password=pw-c", "-D", "monitor.http.token=t0k3n-d",
            "-D", "serving.prot=1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().lines().filter(line -> line.startsWith("freshet: warning:"))).singleElement()
            .satisfies(line -> assertThat(line).contains("kafka.producer.ssl.key.password", "kafka.sasl.jaas.config",
                "monitor.http.token", "serving.admin.token", "--config FILE", "*.token.file", "${env:NAME}"));
        assertThat(run.err() + run.out()).doesNotContain("t0k3n-a", "pw-b", "pw-c", "t0k3n-d");
    }

    @Test
    void referencesAndOrdinaryKeysAreNotWarnedAbout() {
        CliRun run = CliRun.of("run", "--bootstrap-servers", "localhost:1",
            "-D", "serving.admin.token=${env:FRESHET_ADMIN_TOKEN}", "-D", "serving.metrics.token.file=/etc/tokens",
            "-D", "monitor.http.port=0", "-D", "serving.prot=1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).doesNotContain("warning");
    }
}
