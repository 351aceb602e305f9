package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;

class LearningSessionTest {
    private static final LearningSession.Settings SETTINGS = new LearningSession.Settings("default",
        List.of("0", "1"), 0.1, 1e-5, 100, 60_000, 500, 2, "t.training-examples");

    private static TrainingExample example(double x, String label) {
        return TrainingExample.newBuilder().setRequestId("r").putFeatures("x", x).setLabel(label).build();
    }

    private static void learnSome(LearningSession session, int n, long firstOffset) {
        for (int i = 0; i < n; i++) {
            double x = (i % 7) - 3;
            session.learn(example(x, x > 0 ? "1" : "0"), 0, firstOffset + i);
        }
    }

    private static ModelVersion publish(LearningSession session) {
        LearningSession.PendingVersion pending = session.prepareVersion(1000);
        session.published(pending, 1000);
        return pending.version();
    }

    @Test
    void aVersionNamesItsObjectiveAndOptimiserWithTheirSettings() {
        LearningSession session = new LearningSession(new LearningSession.Settings("default", List.of("0", "1"),
            Objective.HINGE, new Optimiser.Settings(Optimiser.Kind.ADAM, 0.02, Optimiser.Schedule.CONSTANT, 0.8,
                0.99, 1e-7), 1e-5, 100, 60_000, 500, 2, "t.training-examples"), 0);
        learnSome(session, 100, 0);

        ModelVersion version = publish(session);

        assertThat(version.getHyperparametersMap()).containsEntry("objective", "hinge")
            .containsEntry("optimiser", "adam").containsEntry("learning_rate", "0.02")
            .containsEntry("beta1", "0.8").containsEntry("beta2", "0.99").containsEntry("epsilon", "1.0E-7");
        assertThat(version.getLearnerState().getSettingsMap()).containsEntry("objective", "hinge");
        assertThat(version.getMetricsMap().get("prequential_accuracy_since_parent")).isGreaterThan(0.8);
    }

    @Test
    void aRestartedSessionResumesFromTheNewestCheckpointAndItsOffsets() {
        LearningSession first = new LearningSession(SETTINGS, 0);
        learnSome(first, 100, 0);
        ModelVersion v1 = publish(first);
        learnSome(first, 40, 100);

        LearningSession restarted = new LearningSession(SETTINGS, 0);
        restarted.onModelVersion(v1);

        assertThat(restarted.restoreCheckpoint()).isTrue();
        assertThat(restarted.nextOffsets()).containsEntry(0, 100L);
        assertThat(restarted.currentVersion()).isEqualTo(1);
        assertThat(restarted.adoptNewestIfForeign()).as("its own version is not foreign").isFalse();
        assertThat(LearnerCheckpoint.write(restarted.learner())).isEqualTo(v1.getLearnerState().toBuilder()
            .clearEvaluationState().build());
    }

    @Test
    void eachVersionTakesThePreviousCheckpointOffAndDeletesWhatLeavesTheRetainedWindow() {
        LearningSession session = new LearningSession(SETTINGS, 2, 0);
        learnSome(session, 100, 0);
        LearningSession.PendingVersion first = session.prepareVersion(1000);
        assertThat(first.stripped()).isNull();
        assertThat(first.expired()).isEmpty();
        session.published(first, 1000);
        learnSome(session, 100, 100);
        LearningSession.PendingVersion second = session.prepareVersion(2000);
        session.published(second, 2000);
        learnSome(session, 100, 200);

        LearningSession.PendingVersion third = session.prepareVersion(3000);

        assertThat(third.expired()).containsExactly(1L);
        assertThat(third.stripped()).isEqualTo(second.version().toBuilder().clearLearnerState().build());
        assertThat(third.version().hasLearnerState()).isTrue();
    }

    @Test
    void aRestartAfterARollbackOfTheNewestContinuesFromTheParentsPackedWeights() {
        LearningSession first = new LearningSession(SETTINGS, 0);
        first.publishPacked();
        learnSome(first, 100, 0);
        LearningSession.PendingVersion p1 = first.prepareVersion(1000);
        first.published(p1, 1000);
        learnSome(first, 100, 100);
        LearningSession.PendingVersion p2 = first.prepareVersion(2000);
        first.published(p2, 2000);

        // What a restarted trainer reads: v1 as published, v1 again without its checkpoint, v2; then a
        // ROLLBACK of v2 read while catching up.
        LearningSession restarted = new LearningSession(SETTINGS, 0);
        restarted.publishPacked();
        restarted.onSchema(p1.newSchema().orElseThrow());
        restarted.onModelVersion(p1.version());
        restarted.onModelVersion(p2.stripped());
        restarted.onModelVersion(p2.version());
        restarted.bar(2);

        assertThat(restarted.restoreCheckpoint()).isTrue();
        assertThat(restarted.currentVersion()).as("continues from v1, which kept only its model").isEqualTo(1);
        assertThat(restarted.nextOffsets()).as("v2's examples stay read").containsEntry(0, 200L);
        assertThat(restarted.learner().examplesLearned()).isEqualTo(100);
        assertThat(restarted.learner().numFeatures()).isEqualTo(first.learner().numFeatures());
    }

    @Test
    void countsAndSkipsAnExampleWithAnUnknownLabel() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        session.learn(example(1.0, "2"), 0, 0);
        session.learn(example(1.0, "1"), 0, 1);

        assertThat(session.stats().examplesSkipped()).containsEntry("unknown_label", 1L);
        assertThat(session.stats().examplesSeen()).isEqualTo(1);
        assertThat(session.nextOffsets()).containsEntry(0, 2L);
    }

    @Test
    void countsAndSkipsAnExampleWithANonFiniteFeature() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        session.learn(example(Double.NaN, "1"), 0, 0);

        assertThat(session.stats().examplesSkipped()).containsEntry("non_finite_feature", 1L);
        assertThat(session.stats().examplesSeen()).isZero();
    }

    @Test
    void publishesAfterTheConfiguredNumberOfExamplesWithLineageOffsetsAndMetrics() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        learnSome(session, 99, 0);
        assertThat(session.publishDue(1)).isFalse();
        learnSome(session, 1, 99);
        assertThat(session.publishDue(1)).isTrue();

        ModelVersion v1 = publish(session);
        learnSome(session, 100, 100);
        ModelVersion v2 = publish(session);

        assertThat(v1.getVersion()).isEqualTo(1);
        assertThat(v1.getParentVersion()).isZero();
        assertThat(v2.getVersion()).isEqualTo(2);
        assertThat(v2.getParentVersion()).isEqualTo(1);
        assertThat(v2.getInputOffsetsMap()).containsEntry(0, 200L);
        assertThat(v2.getExamplesSeen()).isEqualTo(200);
        assertThat(v2.getMetricsMap()).containsEntry("examples_since_parent", 100.0)
            .containsKeys("prequential_accuracy_since_parent", "prequential_log_loss_since_parent",
                "prequential_accuracy_window", "prequential_log_loss_window");
        assertThat(v2.getMetricsMap().get("prequential_log_loss_since_parent")).isPositive();
        assertThat(v2.getHyperparametersMap()).containsEntry("optimiser", "adagrad").containsKey("learning_rate");
    }

    @Test
    void rollbackRestoresTheSnapshotOfTheRestoreVersion() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        learnSome(session, 100, 0);
        publish(session);
        double[] atV1 = session.learner().predictProbabilities(Map.of("x", 2.0));
        learnSome(session, 100, 100);
        publish(session);

        session.onCommand(Command.newBuilder().setType(Command.Type.ROLLBACK).setModel("default")
            .setTargetVersion(2).setRestoreVersion(1).setReason("accuracy fell").build(), 2000, true);
        learnSome(session, 1, 200);
        ModelVersion v3 = publish(session);

        assertThat(v3.getParentVersion()).isEqualTo(1);
        assertThat(v3.getVersion()).isEqualTo(3);
        assertThat(session.learner().examplesLearned()).isEqualTo(101);
        assertThat(atV1).isNotNull();
    }

    @Test
    void retrainBuildsAFreshVersionFromTheWindowWithTheReason() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        learnSome(session, 100, 0);
        publish(session);
        learnSome(session, 700, 100);

        Optional<LearningSession.PendingVersion> pending = session.onCommand(Command.newBuilder()
            .setType(Command.Type.RETRAIN).setModel("default").setReason("drift on x").build(), 3000, true).version();

        assertThat(pending).isPresent();
        ModelVersion retrained = pending.get().version();
        assertThat(retrained.getOrigin()).isEqualTo(ModelVersion.Origin.RETRAIN);
        assertThat(retrained.getNote()).isEqualTo("drift on x");
        assertThat(retrained.getExamplesSeen()).isEqualTo(500);
        assertThat(retrained.getMetricsMap()).containsEntry("retrain_window_examples", 500.0);
    }

    @Test
    void retrainCommandsReadAtStartupOnlyBarAndNeverRetrain() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        learnSome(session, 100, 0);

        Optional<LearningSession.PendingVersion> pending = session.onCommand(Command.newBuilder()
            .setType(Command.Type.RETRAIN).setModel("default").setReason("old").build(), 3000, false).version();

        assertThat(pending).isEmpty();
    }

    /** Every 1000 examples; or each second with at least 100 new ones; or once the oldest waited 10 s. */
    private static final LearningSession.Settings PACED = new LearningSession.Settings("default", List.of("0", "1"),
        Objective.LOGISTIC, Optimiser.Settings.adaGrad(0.1), 1e-5, 1000, 1000, 500, 2, "t.training-examples", null,
        1.0, 100, 10_000);

    private static void learnAt(LearningSession session, int n, long firstOffset, long nowMs) {
        for (int i = 0; i < n; i++) {
            double x = (i % 7) - 3;
            session.learn(example(x, x > 0 ? "1" : "0"), 0, firstOffset + i);
            session.publishDue(nowMs);
        }
    }

    @Test
    void theIntervalPublishesOnlyOnceTheMinimumOfNewExamplesWasLearned() {
        LearningSession session = new LearningSession(PACED, 0);
        learnAt(session, 99, 0, 5000);
        assertThat(session.publishDue(5000)).as("99 new examples, the interval long past").isFalse();

        learnAt(session, 1, 99, 5000);

        assertThat(session.publishDue(5000)).isTrue();
    }

    @Test
    void theCountPublishesBeforeTheIntervalHasPassed() {
        LearningSession session = new LearningSession(PACED, 0);
        learnAt(session, 999, 0, 10);
        assertThat(session.publishDue(10)).isFalse();

        learnAt(session, 1, 999, 10);

        assertThat(session.publishDue(10)).isTrue();
    }

    @Test
    void aTrickleIsPublishedOnceItsOldestExampleWaitedTheMaximumDelay() {
        LearningSession session = new LearningSession(PACED, 0);
        learnAt(session, 1, 0, 5000);
        learnAt(session, 5, 1, 9000);

        assertThat(session.publishDue(14_999)).isFalse();
        assertThat(session.publishDue(15_000)).as("the first example waited 10 s").isTrue();
        session.published(session.prepareVersion(15_000), 15_000);
        learnAt(session, 1, 6, 16_000);
        assertThat(session.publishDue(20_000)).as("the next one has waited 4 s").isFalse();
    }

    @Test
    void theFirstVersionOfAResetModelWaitsOnlyForTheInterval() {
        LearningSession session = new LearningSession(PACED, 0);
        learnAt(session, 100, 0, 1000);
        session.published(session.prepareVersion(1000), 1000);

        session.onCommand(Command.newBuilder().setType(Command.Type.RESET).setModel("default").setCommandId("c")
            .build(), 1500, true);
        learnAt(session, 1, 100, 1600);
        assertThat(session.publishDue(1999)).isFalse();
        assertThat(session.publishDue(2000)).isTrue();
        session.published(session.prepareVersion(2000), 2000);
        learnAt(session, 1, 101, 3500);

        assertThat(session.publishDue(3500)).as("after the reset's version, the minimum holds again").isFalse();
    }

    @Test
    void aVersionCountsTheExamplesSeenLearnedAndSkippedByReasonSinceItsParent() {
        LearningSession session = new LearningSession(SETTINGS, 0);
        learnSome(session, 10, 0);
        session.learn(example(1.0, "maybe"), 0, 10);
        session.learn(example(1.0, "maybe"), 0, 11);
        session.learn(example(Double.NaN, "1"), 0, 12);
        session.malformed(0, 13, "not a TrainingExample");

        ModelVersion v1 = publish(session);
        learnSome(session, 5, 14);
        ModelVersion v2 = publish(session);

        assertThat(v1.getMetricsMap()).containsEntry("examples_seen_since_parent", 14.0)
            .containsEntry("examples_since_parent", 10.0)
            .containsEntry("examples_skipped_since_parent", 4.0)
            .containsEntry("examples_skipped_unknown_label_since_parent", 2.0)
            .containsEntry("examples_skipped_non_finite_feature_since_parent", 1.0)
            .containsEntry("examples_skipped_malformed_since_parent", 1.0);
        assertThat(v2.getMetricsMap()).containsEntry("examples_seen_since_parent", 5.0)
            .containsEntry("examples_skipped_since_parent", 0.0)
            .doesNotContainKey("examples_skipped_unknown_label_since_parent");
    }
}
