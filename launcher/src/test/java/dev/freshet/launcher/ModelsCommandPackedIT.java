package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.freshet.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code freshet models show|diff} on packed versions (a model-schemas topic exists, so the trainer publishes the
 * domains once per schema and only the numbers per version).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelsCommandPackedIT {
    private static final String PREFIX = "models-packed-it.";
    private EmbeddedKafkaBroker broker;

    @BeforeAll
    void registryWithThreeVersionsTheLastRolledBack() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        ThreeVersionRegistry.publish(broker, PREFIX, "model-schemas");
    }

    @AfterAll
    void stopBroker() {
        broker.close();
    }

    @Test
    void showPrintsTheCheckpointSchemaAndProvenanceOfAPackedVersion() {
        CliRun r = CliRun.of("models", "show", "v3", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Model 'default' v3 (ONLINE) - BARRED by a rollback")
            .contains("lineage:       v3 <- v2 <- v1")
            .contains("input offsets: {0=300}")
            .contains("checkpoint:    2 features, optimiser adagrad")
            .containsPattern("schema: +[0-9a-f]{24} \\(classification, outputs \\[0, 1\\], 2 features\\)")
            .containsPattern("domain +2 features, 2 outputs")
            .containsPattern("optimiser +adagrad")
            .containsPattern("prequential_auc_window +0\\.\\d{4}")
            .contains("org.tribuo.classification.sgd.linear.LinearSGDModel")
            .containsPattern("freshet-parent-version +2");
    }

    @Test
    void diffReadsTheWeightsOfPackedVersionsThroughTheirSchemas() {
        CliRun r = CliRun.of("models", "diff", "1", "3", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX, "--top", "5");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("v1 is an ancestor of v3")
            .contains("(identical)")
            .containsPattern("prequential_accuracy_since_parent +0\\.\\d{4} +0\\.\\d{4} +[+-]0\\.\\d{4}")
            .contains("channel=web (new)")
            .containsPattern("amount +[01] ");
    }
}
