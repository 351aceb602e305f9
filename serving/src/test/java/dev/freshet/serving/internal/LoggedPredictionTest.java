package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.ModelRole;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.junit.jupiter.api.Test;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;

/** The hand-written encoding must read back as the entry the generated builder makes from the same facts. */
class LoggedPredictionTest {
    private static final ServedModel VERSION_7 = new ServedModel("fraud", 7, ModelVersion.Origin.ONLINE, null);

    @Test
    void anAnsweredPredictionReadsBackAsTheBuildersEntry() throws Exception {
        Map<String, Double> features = new LinkedHashMap<>();
        features.put("amount", 12.5);
        features.put("channel=web", 1.0);
        features.put("velocity", 0.0);
        features.put("naïve_feature_ü", -3.25e-7);
        Prediction<Label> prediction = prediction("fraud", 0.875, Map.of("fraud", 0.875, "ok", 0.125));

        byte[] encoded = LoggedPrediction.answered("r-1", "u-42", features, true, "fraud", 1_700_000_000_123L,
            VERSION_7, ModelRole.CHALLENGER, true, prediction).encode();

        assertThat(PredictionLogEntry.parseFrom(encoded)).isEqualTo(PredictionLogEntry.newBuilder()
            .setRequestId("r-1").setEntityId("u-42").putAllFeatures(features).setLabel("fraud").setScore(0.875)
            .putClassProbabilities("fraud", 0.875).putClassProbabilities("ok", 0.125).setModel("fraud")
            .setModelVersion(7).setServedAtMs(1_700_000_000_123L).setEntityKnown(true)
            .setModelRole(ModelRole.CHALLENGER).setShadow(true).build());
    }

    @Test
    void aRegressionPredictionCarriesItsValue() throws Exception {
        ServedModel regression = ServedModel.ofRegression("price", 4, ModelVersion.Origin.ONLINE,
            TestRegressions.line());
        Prediction<Label> prediction = regression.score(Map.of("x", 1.0));

        PredictionLogEntry entry = PredictionLogEntry.parseFrom(LoggedPrediction.answered("r-3", "u-1",
            Map.of("x", 1.0), true, "price", 1_700_000_000_000L, regression, ModelRole.CHAMPION, false, prediction)
            .encode());

        assertThat(entry.getValue()).isEqualTo(prediction.getOutput().getScore()).isNotZero();
        assertThat(entry.getScore()).isEqualTo(entry.getValue());
        assertThat(entry.getClassProbabilitiesMap()).isEmpty();
    }

    @Test
    void anUnansweredRequestKeepsItsFeaturesAndMarksNoVersion() throws Exception {
        byte[] encoded = LoggedPrediction.unanswered("r-2", "u-new", Map.of("amount", 3.0), false, "fraud",
            1_700_000_000_000L).encode();

        PredictionLogEntry entry = PredictionLogEntry.parseFrom(encoded);
        assertThat(entry).isEqualTo(PredictionLogEntry.newBuilder().setRequestId("r-2").setEntityId("u-new")
            .putFeatures("amount", 3.0).setModel("fraud").setServedAtMs(1_700_000_000_000L).build());
        assertThat(entry.getModelVersion()).isZero();
    }

    @Test
    void randomPredictionsReadBackAsTheBuildersEntries() throws Exception {
        Random random = new Random(11);
        for (int i = 0; i < 500; i++) {
            Map<String, Double> features = new LinkedHashMap<>();
            int count = random.nextInt(300); // long enough for multi-byte lengths
            for (int f = 0; f < count; f++) {
                features.put(randomName(random), random.nextBoolean() ? random.nextGaussian() : 0.0);
            }
            double score = random.nextDouble();
            Prediction<Label> prediction = prediction("c" + random.nextInt(3), score,
                Map.of("c0", score, "c1", 1 - score));
            ModelRole role = random.nextBoolean() ? ModelRole.CHAMPION : ModelRole.CHALLENGER;
            String requestId = random.nextInt(5) == 0 ? "" : randomName(random);

            byte[] encoded = LoggedPrediction.answered(requestId, randomName(random), features,
                random.nextBoolean(), "m", random.nextLong(), VERSION_7, role, random.nextBoolean(), prediction)
                .encode();

            PredictionLogEntry entry = PredictionLogEntry.parseFrom(encoded);
            assertThat(entry.getFeaturesMap()).isEqualTo(features);
            assertThat(entry.getRequestId()).isEqualTo(requestId);
            assertThat(entry.getScore()).isEqualTo(score);
            assertThat(entry.getClassProbabilitiesMap()).containsOnlyKeys("c0", "c1");
            assertThat(entry.getModelRole()).isEqualTo(role);
            assertThat(entry.getSerializedSize()).isEqualTo(encoded.length);
        }
    }

    private static String randomName(Random random) {
        StringBuilder name = new StringBuilder();
        int length = 1 + random.nextInt(random.nextInt(10) == 0 ? 200 : 12);
        for (int i = 0; i < length; i++) {
            // Mostly ASCII, with two- and three-byte characters mixed in.
            int kind = random.nextInt(10);
            name.append(kind < 8 ? (char) ('a' + random.nextInt(26)) : kind == 8 ? 'é' : '€');
        }
        return name.toString();
    }

    private static Prediction<Label> prediction(String label, double score, Map<String, Double> classScores) {
        Map<String, Label> scores = new LinkedHashMap<>();
        classScores.forEach((name, value) -> scores.put(name, new Label(name, value)));
        return new Prediction<>(new Label(label, score), scores, 1,
            new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, new String[] {"amount"}, new double[] {1}), true);
    }
}
