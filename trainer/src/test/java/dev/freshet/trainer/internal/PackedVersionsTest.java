package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;

class PackedVersionsTest {
    private static final LearningSession.Settings SETTINGS = new LearningSession.Settings("default",
        List.of("0", "1"), 0.1, 1e-5, 100, 60_000, 500, 2, "t.training-examples");

    private static TrainingExample example(double x, String channel, String label) {
        return TrainingExample.newBuilder().setRequestId("r").putFeatures("x", x).putFeatures("channel=" + channel, 1.0)
            .setLabel(label).build();
    }

    private static void learnSome(LearningSession session, int n, long firstOffset, List<String> channels) {
        for (int i = 0; i < n; i++) {
            double x = (i % 7) - 3;
            session.learn(example(x, channels.get(i % channels.size()), x > 0 ? "1" : "0"), 0, firstOffset + i);
        }
    }

    private static LearningSession.PendingVersion publish(LearningSession session) {
        LearningSession.PendingVersion pending = session.prepareVersion(1000);
        session.published(pending, 1000);
        return pending;
    }

    private static LearningSession packedSession(LearningSession.Settings settings) {
        LearningSession session = new LearningSession(settings, 0);
        session.publishPacked();
        return session;
    }

    @Test
    void aPackedVersionCarriesNumbersAndNamesASchemaPublishedOnlyWhenTheFeaturesChange() {
        LearningSession session = packedSession(SETTINGS);
        learnSome(session, 100, 0, List.of("web", "app"));
        LearningSession.PendingVersion v1 = publish(session);
        learnSome(session, 100, 100, List.of("web", "app"));
        LearningSession.PendingVersion v2 = publish(session);
        learnSome(session, 100, 200, List.of("kiosk"));
        LearningSession.PendingVersion v3 = publish(session);

        assertThat(v1.version().getTribuoModel().isEmpty()).isTrue();
        assertThat(v1.version().getLearnerState().getFeatureNamesCount()).isZero();
        assertThat(v1.newSchema()).get().extracting(ModelSchema::getFeatureNamesList)
            .isEqualTo(List.of("x", "channel=web", "channel=app"));
        assertThat(v2.newSchema()).as("same features: no new schema").isEmpty();
        assertThat(v2.version().getSchemaId()).isEqualTo(v1.version().getSchemaId());
        assertThat(v3.newSchema()).get().extracting(ModelSchema::getFeatureNamesList)
            .isEqualTo(List.of("x", "channel=web", "channel=app", "channel=kiosk"));
        assertThat(v3.version().getSchemaId()).isNotEqualTo(v1.version().getSchemaId());
        assertThat(v3.version().getWeightsCount()).isEqualTo(2 * 4);
    }

    @Test
    void aRestartedSessionRestoresAPackedCheckpointExactly() {
        LearningSession first = packedSession(SETTINGS);
        learnSome(first, 150, 0, List.of("web", "app", "kiosk"));
        LearningSession.PendingVersion v1 = publish(first);
        OnlineLearner atV1 = first.learner().copy();

        LearningSession restarted = packedSession(SETTINGS);
        restarted.onSchema(v1.newSchema().orElseThrow());
        restarted.onModelVersion(v1.version());

        assertThat(restarted.restoreCheckpoint()).isTrue();
        assertThat(LearnerCheckpoint.write(restarted.learner())).isEqualTo(LearnerCheckpoint.write(atV1));
    }

    @Test
    void theTribuoModelBuiltFromSchemaAndWeightsPredictsAsTheWholeSerializedModel() throws Exception {
        LearningSession session = packedSession(SETTINGS);
        learnSome(session, 150, 0, List.of("web", "app", "kiosk"));
        LearningSession.PendingVersion v1 = publish(session);
        RawModel raw = RawModels.fold(session.learner());
        Model<?> whole = TribuoModels.deserialize(TribuoModels.toTribuo(raw, new TribuoModels.Lineage("default", 1, 0,
            "ONLINE", 150, "t", Map.of()), 0.1, 1e-5, Instant.EPOCH).serialize().toByteArray());

        Model<?> packed = PackedVersions.toTribuo(v1.newSchema().orElseThrow(), v1.version());

        assertThat(packed.getProvenance().getInstanceProvenance().getMap()).containsKey("freshet-model-version");
        for (String channel : List.of("web", "app", "kiosk")) {
            for (double x = -3; x <= 3; x++) {
                ArrayExample<Label> example = new ArrayExample<>(LabelFactory.UNKNOWN_LABEL,
                    new String[] {"x", "channel=" + channel}, new double[] {x, 1.0});
                @SuppressWarnings("unchecked")
                Prediction<Label> expected = ((Model<Label>) whole).predict(example);
                @SuppressWarnings("unchecked")
                Prediction<Label> actual = ((Model<Label>) packed).predict(example);
                assertThat(actual.getOutput().getLabel()).isEqualTo(expected.getOutput().getLabel());
                assertThat(actual.getOutput().getScore()).isEqualTo(expected.getOutput().getScore());
            }
        }
    }

    @Test
    void aPackedRegressionVersionBuildsATribuoRegressionModel() {
        LearningSession session = packedSession(new LearningSession.Settings("default",
            LearningSession.Settings.REGRESSION_OUTPUT, Objective.SQUARED, Optimiser.Settings.adaGrad(0.1), 1e-5, 100,
            60_000, 500, 2, "t.training-examples", null, 1.0));
        for (int i = 0; i < 200; i++) {
            session.learn(TrainingExample.newBuilder().setRequestId("r").putFeatures("x", i % 10)
                .setLabel(Double.toString(3.0 * (i % 10) + 1)).build(), 0, i);
        }
        LearningSession.PendingVersion v1 = publish(session);

        Model<?> model = PackedVersions.toTribuo(v1.newSchema().orElseThrow(), v1.version());

        assertThat(model.validate(Regressor.class)).isTrue();
        double predicted = model.castModel(Regressor.class).predict(new ArrayExample<>(
            RegressionFactory.UNKNOWN_REGRESSOR, new String[] {"x"}, new double[] {5.0})).getOutput().getValues()[0];
        assertThat(predicted).isEqualTo(session.learner().predictValue(Map.of("x", 5.0)));
    }
}
