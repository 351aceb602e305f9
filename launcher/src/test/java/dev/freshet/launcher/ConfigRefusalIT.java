package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A misspelt key, a junk --config line or a bad Kafka client setting stops every entry point with exit code 2 and
 * the nearest valid key, before anything is created on the cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConfigRefusalIT {
    private EmbeddedKafkaBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void runRefusesAMisspeltComponentKeyAndCreatesNoTopic() throws Exception {
        CliRun run = CliRun.of("run", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", "typo-d.",
            "-D", "serving.prot=50099");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("Unknown configuration key 'serving.prot'; did you mean 'serving.port'?");
        assertThat(topicsWithPrefix("typo-d.")).isEmpty();
    }

    @Test
    void runRefusesAMisspeltKeyInTheConfigFile() throws Exception {
        Path config = Files.writeString(dir.resolve("freshet.properties"),
            "# the admin token\nserving.admin.tokn=s3cret\n");
        CliRun run = CliRun.of("run", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", "typo-f.",
            "--config", config.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("'serving.admin.tokn'; did you mean 'serving.admin.token'?")
            .doesNotContain("s3cret");
        assertThat(topicsWithPrefix("typo-f.")).isEmpty();
    }

    @Test
    void runRefusesAConfigLineThatIsNotKeyEqualsValueWithoutEchoingIt() throws Exception {
        Path config = Files.writeString(dir.resolve("junk.properties"), "serving.port=50099\nserving.admin.token: s3cret\n");
        CliRun run = CliRun.of("run", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", "typo-j.",
            "--config", config.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("line 2 is not key=value").doesNotContain("s3cret");
        assertThat(topicsWithPrefix("typo-j.")).isEmpty();
    }

    @Test
    void runRefusesAnInvalidValueBeforeCreatingTopics() throws Exception {
        CliRun run = CliRun.of("run", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", "typo-v.",
            "-D", "trainer.optimiser=lbfgs");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("trainer.optimiser");
        assertThat(topicsWithPrefix("typo-v.")).isEmpty();
    }

    @Test
    void runRefusesABadPolicyFileWithEveryProblemBeforeCreatingTopics() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "rollback:\n  margn: 0.2\n  z: -1\n");
        CliRun run = CliRun.of("run", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", "typo-p.",
            "-D", "monitor.policy.file=" + policy);
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("margn").contains("did you mean 'margin'?").contains("rollback.z");
        assertThat(topicsWithPrefix("typo-p.")).isEmpty();
    }

    @Test
    void everyVerbThatTalksToKafkaRefusesAMisspeltClientSetting() {
        for (String[] verb : new String[][] {{"models", "list"}, {"features", "list"}, {"report"}, {"actions"},
                {"models", "retrain", "default", "--reason", "test"}}) {
            String[] args = concat(verb, "--bootstrap-servers", broker.bootstrapServers(),
                "-D", "kafka.sasl.mechansim=PLAIN");
            CliRun run = CliRun.of(args);
            assertThat(run.exitCode()).as(String.join(" ", verb)).isEqualTo(2);
            assertThat(run.err()).as(String.join(" ", verb)).contains("did you mean 'kafka.sasl.mechanism'?");
        }
    }

    @Test
    void aSettingFreshetFixesIsRefusedSayingWhy() {
        CliRun run = CliRun.of("models", "list", "--bootstrap-servers", broker.bootstrapServers(),
            "-D", "kafka.isolation.level=read_uncommitted");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("Freshet sets 'isolation.level' itself");
    }

    @Test
    void passedThroughSettingsReachTheClients() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(java.util.List.of(new NewTopic("reach.feature-views", 1, (short) 1))).all().get();
        }
        CliRun plain = CliRun.of("features", "list", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", "reach.", "--timeout", "20s");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        // The embedded broker speaks plaintext: a client told to use TLS cannot read the same registry, which shows
        // that the setting reached it.
        CliRun tls = CliRun.of("features", "list", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", "reach.", "--timeout", "3s", "-D", "kafka.security.protocol=SSL");
        assertThat(tls.exitCode()).isNotZero();
    }

    private Set<String> topicsWithPrefix(String prefix) throws ExecutionException, InterruptedException {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            return admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix))
                .collect(java.util.stream.Collectors.toSet());
        }
    }

    private static String[] concat(String[] head, String... tail) {
        String[] all = new String[head.length + tail.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }
}
