package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the registry records in {@code src/test/resources/golden}, written once by an earlier trainer (see the README
 * there), and checks that they restore to learners and models that predict exactly what they predicted then.
 */
class GoldenFilesTest {
    private static Properties expected;

    @BeforeAll
    static void readExpectations() throws IOException {
        expected = new Properties();
        expected.load(new StringReader(new String(GoldenReads.resource("expected-predictions.properties"),
            StandardCharsets.UTF_8)));
    }

    private static List<Double> expected(String key) {
        String value = expected.getProperty(key);
        assertThat(value).as("expected-predictions.properties has " + key).isNotNull();
        return Arrays.stream(value.split(",")).map(Double::valueOf).toList();
    }

    private static ModelVersion version(String file) throws IOException {
        return ModelVersion.parseFrom(GoldenReads.resource(file));
    }

    private static ModelSchema schema() throws IOException {
        return ModelSchema.parseFrom(GoldenReads.resource("model-schema.binpb"));
    }

    @Test
    void thePackedVersionCarriesItsLineage() throws IOException {
        ModelVersion mv = version("model-version-packed.binpb");

        assertThat(mv.getModel()).isEqualTo(GoldenExamples.MODEL);
        assertThat(mv.getVersion()).isEqualTo(1);
        assertThat(mv.getParentVersion()).isZero();
        assertThat(mv.getOrigin()).isEqualTo(ModelVersion.Origin.ONLINE);
        assertThat(mv.getExamplesSeen()).isEqualTo(GoldenExamples.EXAMPLES);
        assertThat(mv.getInputOffsetsMap()).isEqualTo(Map.of(0, (long) GoldenExamples.EXAMPLES));
        assertThat(mv.getPublishedAtMs()).isEqualTo(GoldenExamples.PUBLISHED_AT_MS);
        assertThat(mv.getSchemaId()).isEqualTo(schema().getSchemaId());
        assertThat(mv.getHyperparametersMap()).containsEntry("optimiser", "adagrad").containsEntry("labels", "0,1");
        assertThat(schema().getFeatureNamesList()).containsExactlyInAnyOrder("amount", "channel=web", "channel=app",
            "channel=store", "late", "hour");
    }

    @Test
    void aTrainerRestartingOnThePackedVersionPredictsAsRecorded() throws IOException {
        LearningSession session = GoldenReads.restart(version("model-version-packed.binpb"), schema());

        assertThat(GoldenReads.learnerProbabilities(session.learner())).isEqualTo(expected("packed.learner"));
        assertThat(session.stats().prequentialAccuracy()).isEqualTo(expected("packed.window_accuracy").get(0));
        assertThat(session.currentVersion()).isEqualTo(1);
        assertThat(session.nextOffsets()).isEqualTo(Map.of(0, (long) GoldenExamples.EXAMPLES));
        assertThat(session.learner().examplesLearned()).isEqualTo(GoldenExamples.EXAMPLES);
    }

    @Test
    void aRestoredPackedCheckpointWritesBackTheSameState() throws IOException {
        ModelVersion mv = version("model-version-packed.binpb");
        LearningSession session = GoldenReads.restart(mv, schema());

        assertThat(LearnerCheckpoint.write(session.learner())).isEqualTo(mv.getLearnerState().toBuilder().clearSchemaId()
            .addAllFeatureNames(schema().getFeatureNamesList()).clearEvaluationState().build());
    }

    @Test
    void thePackedVersionReadAsATribuoModelPredictsAsRecorded() throws IOException {
        var model = PackedVersions.toTribuo(schema(), version("model-version-packed.binpb"));

        assertThat(GoldenReads.tribuoScores(model, GoldenReads.BINARY)).isEqualTo(expected("packed.tribuo"));
    }

    @Test
    void aTrainerRestartingOnTheWholeVersionPredictsAsRecorded() throws IOException {
        ModelVersion mv = version("model-version-whole.binpb");
        LearningSession session = GoldenReads.restart(mv, null);

        assertThat(GoldenReads.learnerProbabilities(session.learner())).isEqualTo(expected("whole.learner"));
        assertThat(LearnerCheckpoint.write(session.learner())).isEqualTo(mv.getLearnerState().toBuilder().clearEvaluationState()
            .build());
    }

    @Test
    void theWholeVersionsTribuoModelPredictsAsRecordedAndCanBeAdopted() throws IOException {
        ModelVersion mv = version("model-version-whole.binpb");
        var model = TribuoModels.deserialize(mv.getTribuoModel().toByteArray());

        assertThat(GoldenReads.tribuoScores(model, GoldenReads.BINARY)).isEqualTo(expected("whole.tribuo"));
        assertThat(GoldenReads.learnerProbabilities(GoldenReads.adopted(model, mv.getExamplesSeen())))
            .isEqualTo(expected("whole.adopted"));
    }

    @Test
    void theMulticlassCheckpointRestoresWithItsOptimiserStateAndPredictsAsRecorded() throws IOException {
        LearnerState state = LearnerState.parseFrom(GoldenReads.resource("learner-state-multiclass.binpb"));
        LearnerCheckpoint.Restored restored = LearnerCheckpoint.restore(state, GoldenReads.MULTICLASS, Objective.HINGE,
            GoldenReads.MULTICLASS_OPTIMISER, 1e-4);

        assertThat(restored.optimiserStateRestored()).as(restored.optimiserStateProblem()).isTrue();
        assertThat(GoldenReads.learnerProbabilities(restored.learner())).isEqualTo(expected("multiclass.learner"));
        assertThat(LearnerCheckpoint.write(restored.learner())).isEqualTo(state);
    }

    @Test
    void theRegressionCheckpointRestoresWithItsOptimiserStateAndPredictsAsRecorded() throws IOException {
        LearnerState state = LearnerState.parseFrom(GoldenReads.resource("learner-state-regression.binpb"));
        LearnerCheckpoint.Restored restored = LearnerCheckpoint.restore(state, LearningSession.Settings.REGRESSION_OUTPUT,
            Objective.HUBER, GoldenReads.REGRESSION_OPTIMISER, GoldenReads.REGRESSION_L2);

        assertThat(restored.optimiserStateRestored()).as(restored.optimiserStateProblem()).isTrue();
        assertThat(GoldenReads.learnerValues(restored.learner())).isEqualTo(expected("regression.learner"));
        assertThat(LearnerCheckpoint.write(restored.learner())).isEqualTo(state);
    }
}
