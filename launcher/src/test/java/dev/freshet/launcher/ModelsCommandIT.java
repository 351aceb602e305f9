package dev.freshet.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

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
    void showNamesTheVersionsPartInServingByTheRolloutModeGiven() {
        CliRun none = show("v2");
        CliRun champion = show("v1", "--rollout-mode", "challenger");
        CliRun challenger = show("v2", "--rollout-mode", "CHALLENGER");

        assertThat(none.out()).contains("Model 'default' v2 (ONLINE) - SERVING (the newest not barred; rollout mode "
            + "none)");
        assertThat(champion.out()).contains("Model 'default' v1 (ONLINE) - SERVING (the oldest not barred, as nothing "
            + "has been promoted; rollout mode challenger)");
        assertThat(challenger.out()).as("v3, newer, is barred").contains("Model 'default' v2 (ONLINE) - CHALLENGER "
            + "of v1 (rollout mode challenger)");
    }

    @Test
    void listSaysWhichRolloutModeItAssumedAndTheLastChange() {
        CliRun r = CliRun.of("models", "list", "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix",
            PREFIX, "--rollout-mode", "shadow");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("serving picks v1 (the oldest not barred, as nothing has been promoted), with v2 "
                + "in its shadow.")
            .contains("rollout mode: shadow")
            .contains("last change:  ROLLBACK v3 (restore v2) by unknown: test")
            .containsPattern("v2 +v1 +ONLINE .*shadow");
    }

    @Test
    void anUnknownRolloutModeIsAUsageErrorNamingTheModesThereAre() {
        CliRun r = CliRun.of("models", "list", "--bootstrap-servers", broker.bootstrapServers(), "--rollout-mode",
            "canary");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--rollout-mode").contains("'canary' is not a rollout mode; use one of none, "
            + "challenger, shadow");
    }

    private CliRun show(String version, String... more) {
        List<String> args = new ArrayList<>(List.of("models", "show", version,
            "--bootstrap-servers", broker.bootstrapServers(), "--topics-prefix", PREFIX));
        args.addAll(List.of(more));
        CliRun run = CliRun.of(args.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run;
    }

    @Test
    void anUnknownVersionIsAnErrorNamingTheVersionsThereAre() {
        CliRun r = CliRun.of("models", "show", "9", "--bootstrap-servers", broker.bootstrapServers(),
            "--topics-prefix", PREFIX);

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("no version 9").contains("v1 to v3");
    }
}
