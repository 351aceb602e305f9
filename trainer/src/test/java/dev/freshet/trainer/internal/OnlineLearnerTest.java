package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

class OnlineLearnerTest {
    private static final List<String> LABELS = List.of("0", "1");

    /** amount in thousands, velocity around 1: label 1 when a weighted sum crosses a threshold (~30% positives). */
    private static Map<String, Double> scaledExample(Random random) {
        Map<String, Double> features = new HashMap<>();
        features.put("amount", 5000 + 1500 * random.nextGaussian());
        features.put("velocity", random.nextGaussian());
        return features;
    }

    private static int scaledLabel(Map<String, Double> f) {
        return (f.get("amount") - 5000) / 1500 + 1.5 * f.get("velocity") > 0.8 ? 1 : 0;
    }

    @Test
    void reachesHighPrequentialAccuracyOnFeaturesOfVeryDifferentScales() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.1, 1e-5);
        PrequentialMetrics metrics = new PrequentialMetrics(2000);
        Random random = new Random(7);
        int positives = 0;
        for (int i = 0; i < 10_000; i++) {
            Map<String, Double> f = scaledExample(random);
            int label = scaledLabel(f);
            positives += label;
            metrics.record(learner.learn(f, label, true));
        }
        double majorityRate = Math.max(positives, 10_000 - positives) / 10_000.0;
        assertThat(majorityRate).isLessThan(0.8);
        assertThat(metrics.windowAccuracy()).isGreaterThan(0.95);
    }

    @Test
    void learnsAOneHotFeatureThatAppearsMidStreamWithoutRestart() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.1, 1e-5);
        Random random = new Random(11);
        for (int i = 0; i < 3000; i++) {
            Map<String, Double> f = Map.of("velocity", random.nextGaussian());
            learner.learn(f, f.get("velocity") > 0 ? 1 : 0, true);
        }
        PrequentialMetrics metrics = new PrequentialMetrics(1000);
        for (int i = 0; i < 4000; i++) {
            double velocity = random.nextGaussian();
            boolean web = random.nextBoolean();
            Map<String, Double> f = new HashMap<>();
            f.put("velocity", velocity);
            if (web) {
                f.put("channel=web", 1.0);
            }
            // After the change the channel dominates: without it the best accuracy is about 0.75.
            int label = velocity + (web ? 3 : -3) > 0 ? 1 : 0;
            metrics.record(learner.learn(f, label, true));
        }
        assertThat(learner.numFeatures()).isEqualTo(2);
        assertThat(metrics.windowAccuracy()).isGreaterThan(0.9);
        assertThat(learner.predictProbabilities(Map.of("velocity", 0.0, "channel=web", 1.0))[1]).isGreaterThan(0.9);
        assertThat(learner.predictProbabilities(Map.of("velocity", 0.0))[1]).isLessThan(0.1);
    }

    @Test
    void publishedTribuoModelRoundTripsAndPredictsTheLearnersProbabilitiesOnRawFeatures() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.1, 1e-5);
        Random random = new Random(3);
        for (int i = 0; i < 3000; i++) {
            Map<String, Double> f = scaledExample(random);
            if (random.nextBoolean()) {
                f.put("channel=web", 1.0);
            }
            learner.learn(f, scaledLabel(f), true);
        }
        LinearSGDModel model = TribuoModels.toTribuo(RawModels.fold(learner), lineage(), 0.1, 1e-5, Instant.now());
        Model<?> restored = TribuoModels.deserialize(model.serialize().toByteArray());

        assertThat(restored).isInstanceOf(LinearSGDModel.class);
        assertThat(restored.getProvenance().getInstanceProvenance().getMap())
            .containsKeys("freshet-model-version", "freshet-parent-version", "freshet-examples-seen");
        for (int i = 0; i < 50; i++) {
            Map<String, Double> f = scaledExample(random);
            if (i % 2 == 0) {
                f.put("channel=web", 1.0);
            }
            double[] expected = learner.predictProbabilities(f);
            Map<String, Double> actual = tribuoProbabilities(restored, f);
            assertThat(actual.get("0")).isCloseTo(expected[0], within(1e-9));
            assertThat(actual.get("1")).isCloseTo(expected[1], within(1e-9));
        }
    }

    @Test
    void adoptingAStockTribuoModelReproducesItsPredictions() {
        LabelFactory labelFactory = new LabelFactory();
        MutableDataset<Label> dataset =
            new MutableDataset<>(new SimpleDataSourceProvenance("test", labelFactory), labelFactory);
        Random random = new Random(5);
        for (int i = 0; i < 500; i++) {
            Map<String, Double> f = scaledExample(random);
            dataset.add(example(new Label(Integer.toString(scaledLabel(f))), f));
        }
        Model<Label> external = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.1), 5, 1L).train(dataset);

        OnlineLearner learner = new OnlineLearner(LABELS, 0.1, 1e-5);
        for (int i = 0; i < 100; i++) {
            // The learner knows a feature the external model lacks; it must not change the adopted predictions.
            learner.learn(Map.of("velocity", random.nextGaussian(), "other", 10 * random.nextDouble()), 1, true);
        }
        TribuoModels.Extracted extracted =
            TribuoModels.fromTribuo(TribuoModels.deserialize(external.serialize().toByteArray()), LABELS);
        learner.adopt(extracted.model(), 500);

        assertThat(extracted.droppedLabels()).isEmpty();
        assertThat(learner.examplesLearned()).isEqualTo(500);
        for (int i = 0; i < 50; i++) {
            Map<String, Double> f = scaledExample(random);
            f.put("other", 3.0);
            double[] ours = learner.predictProbabilities(f);
            Map<String, Double> theirs = tribuoProbabilities(external, f);
            assertThat(ours[0]).isCloseTo(theirs.get("0"), within(1e-9));
            assertThat(ours[1]).isCloseTo(theirs.get("1"), within(1e-9));
        }
    }

    @Test
    void snapshotIsUnaffectedByLaterLearning() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.1, 0.0);
        learner.learn(Map.of("x", 1.0), 1, true);
        OnlineLearner snapshot = learner.copy();
        double before = snapshot.predictProbabilities(Map.of("x", 1.0))[1];
        for (int i = 0; i < 100; i++) {
            learner.learn(Map.of("x", 1.0, "y", 2.0), 0, true);
        }
        assertThat(snapshot.predictProbabilities(Map.of("x", 1.0))[1]).isEqualTo(before);
        assertThat(snapshot.numFeatures()).isEqualTo(1);
    }

    static TribuoModels.Lineage lineage() {
        return new TribuoModels.Lineage("default", 3, 2, "ONLINE", 3000, "t.training-examples", Map.of(0, 3000L));
    }

    static ArrayExample<Label> example(Label label, Map<String, Double> features) {
        String[] names = features.keySet().toArray(new String[0]);
        double[] values = new double[names.length];
        for (int i = 0; i < names.length; i++) {
            values[i] = features.get(names[i]);
        }
        return new ArrayExample<>(label, names, values);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Double> tribuoProbabilities(Model<?> model, Map<String, Double> features) {
        Prediction<Label> prediction =
            ((Model<Label>) model).predict(example(LabelFactory.UNKNOWN_LABEL, features));
        Map<String, Double> probabilities = new HashMap<>();
        prediction.getOutputScores().forEach((name, label) -> probabilities.put(name, label.getScore()));
        return probabilities;
    }
}
