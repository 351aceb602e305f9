package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code freshet models list|show|diff} against a registry a real trainer wrote, with one version rolled back. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelsCommandIT {
    private static final String PREFIX = "models-it.";
    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void registryWithThreeVersionsTheLastRolledBack() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        ThreeVersionRegistry.publish(broker, PREFIX);
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void listShowsEveryVersionWithOriginParentMetricsAndWhichIsBarred() {
        CliRun r = CliRun.of("models", "list", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("3 version(s); serving picks v2")
            .containsPattern("v1 +- +ONLINE .* 100 +0\\.\\d{4}")
            .containsPattern("v2 +v1 +ONLINE .*serving")
            .containsPattern("v3 +v2 +ONLINE .*barred");
    }

    @Test
    void showPrintsLineageHyperparametersMetricsCheckpointAndProvenance() {
        CliRun r = CliRun.of("models", "show", "v3", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Model 'default' v3 (ONLINE) - BARRED by a rollback")
            .contains("lineage:       v3 <- v2 <- v1")
            .contains("input offsets: {0=300}")
            .contains("checkpoint:    2 features, optimiser adagrad")
            .containsPattern("optimiser +adagrad")
            .containsPattern("prequential_auc_window +0\\.\\d{4}")
            .contains("org.tribuo.classification.sgd.linear.LinearSGDModel")
            .containsPattern("freshet-parent-version +2");
    }

    @Test
    void diffShowsMetricChangesAndTheFeatureThatAppearedBetweenTheVersions() {
        CliRun r = CliRun.of("models", "diff", "1", "3", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX, "--top", "5");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("v1 is an ancestor of v3")
            .contains("(identical)")
            .containsPattern("prequential_accuracy_since_parent +0\\.\\d{4} +0\\.\\d{4} +[+-]0\\.\\d{4}")
            .contains("channel=web (new)")
            .containsPattern("amount +[01] ");
    }

    @Test
    void anUnknownVersionIsAnErrorNamingTheVersionsThereAre() {
        CliRun r = CliRun.of("models", "show", "9", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("no version 9").contains("v1 to v3");
    }
}
