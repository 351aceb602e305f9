package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.tribuo.Model;

/** The learner's per-example path: by feature ids, touching only the example's features, exact raw-space models. */
class SparseLearningTest {
    private static final List<String> LABELS = List.of("0", "1");

    private static Map<String, Double> example(Random random, int i) {
        Map<String, Double> f = new HashMap<>();
        f.put("amount", 100 + 30 * random.nextGaussian());
        f.put("velocity", random.nextGaussian());
        f.put("channel=" + (i % 3 == 0 ? "web" : "app"), 1.0);
        return f;
    }

    private static int label(Map<String, Double> f) {
        return f.get("amount") + 20 * f.get("velocity") + (f.containsKey("channel=web") ? 20 : 0) > 110 ? 1 : 0;
    }

    @Test
    void learningByFeatureIdsEqualsLearningByNames() {
        OnlineLearner byName = new OnlineLearner(LABELS, 0.3, 1e-4);
        OnlineLearner byId = new OnlineLearner(LABELS, 0.3, 1e-4);
        Random random = new Random(1);
        int[] ids = new int[8];
        double[] values = new double[8];
        for (int i = 0; i < 2000; i++) {
            Map<String, Double> f = example(random, i);
            TestOutcome expected = byName.learn(f, label(f), true);
            int n = 0;
            for (Map.Entry<String, Double> e : f.entrySet()) {
                ids[n] = byId.featureId(e.getKey());
                values[n++] = e.getValue();
            }
            int predicted = byId.learn(ids, values, n, label(f), true);

            assertThat(predicted).isEqualTo(expected.predicted());
            assertThat(byId.lastLogLoss()).isEqualTo(expected.logLoss());
            assertThat(byId.lastPositiveScore()).isEqualTo(expected.positiveScore());
        }
        assertThat(LearnerCheckpoint.write(byId)).isEqualTo(LearnerCheckpoint.write(byName));
    }

    @Test
    void twoClassStepsComputedOnceAndMirroredEqualFullStepsBitForBit() {
        for (Objective objective : List.of(Objective.LOGISTIC, Objective.HINGE)) {
            for (Optimiser.Settings optimiser : List.of(Optimiser.Settings.adaGrad(0.3),
                    new Optimiser.Settings(Optimiser.Kind.SGD, 0.5, Optimiser.Schedule.INVERSE_SQRT, 0, 0, 0))) {
                OnlineLearner mirrored = new OnlineLearner(LABELS, objective, optimiser, 1e-4);
                OnlineLearner full = new OnlineLearner(LABELS, objective, optimiser, 1e-4);
                full.stopMirroring();
                Random random = new Random(9);
                for (int i = 0; i < 3000; i++) {
                    Map<String, Double> f = example(random, i);
                    if (i > 1000 && i % 7 == 0) {
                        f.remove("velocity");
                    }
                    int label = label(withVelocity(f));
                    TestOutcome expected = full.learn(f, label, true);
                    assertThat(mirrored.learn(f, label, true)).isEqualTo(expected);
                }
                assertThat(LearnerCheckpoint.write(mirrored)).as(objective + "/" + optimiser.kind()).isEqualTo(LearnerCheckpoint.write(full));
            }
        }
    }

    private static Map<String, Double> withVelocity(Map<String, Double> f) {
        Map<String, Double> copy = new HashMap<>(f);
        copy.putIfAbsent("velocity", 0.0);
        return copy;
    }

    @Test
    void anExampleMovesOnlyTheWeightsOfItsOwnFeatures() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.3, 1e-4);
        Random random = new Random(2);
        for (int i = 0; i < 500; i++) {
            Map<String, Double> f = example(random, i);
            learner.learn(f, label(f), true);
        }
        int web = learner.featureId("channel=web");
        int app = learner.featureId("channel=app");
        int n = learner.numFeatures();
        var before = LearnerCheckpoint.write(learner);

        learner.learn(Map.of("amount", 150.0, "velocity", 1.0, "channel=app", 1.0), 0, true);

        var after = LearnerCheckpoint.write(learner);
        for (int k = 0; k < LABELS.size(); k++) {
            assertThat(after.getWeights(k * n + web)).isEqualTo(before.getWeights(k * n + web));
            assertThat(after.getWeights(k * n + app)).isNotEqualTo(before.getWeights(k * n + app));
        }
        assertThat(after.getOptimiserSlots(0).getWeights(web)).isEqualTo(before.getOptimiserSlots(0).getWeights(web));
    }

    @Test
    void theRawModelPredictsLikeTheLearnerAfterADenseFeatureGoesMissing() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.3, 1e-4);
        Random random = new Random(3);
        for (int i = 0; i < 1000; i++) {
            Map<String, Double> f = example(random, i);
            if (i > 600 && i % 5 == 0) {
                // amount was in every example so far: it is standardised with centring until now.
                f.remove("amount");
            }
            learner.learn(f, label(f.containsKey("amount") ? f : withAmount(f)), true);
        }
        Model<?> model = TribuoModels.deserialize(TribuoModels.toTribuo(RawModels.fold(learner),
            OnlineLearnerTest.lineage(), 0.3, 1e-4, Instant.now()).serialize().toByteArray());

        for (int i = 0; i < 50; i++) {
            Map<String, Double> f = example(random, i);
            if (i % 2 == 0) {
                f.remove("velocity");
            }
            double[] ours = learner.predictProbabilities(f);
            Map<String, Double> theirs = OnlineLearnerTest.tribuoProbabilities(model, f);
            assertThat(ours[1]).isCloseTo(theirs.get("1"), within(1e-9));
        }
    }

    private static Map<String, Double> withAmount(Map<String, Double> f) {
        Map<String, Double> copy = new HashMap<>(f);
        copy.put("amount", 100.0);
        return copy;
    }

    @Test
    void aRepeatedFeatureIdIsRefusedAndNothingIsLearned() {
        OnlineLearner learner = new OnlineLearner(LABELS, 0.3, 1e-4);
        int x = learner.featureId("x");
        learner.learn(new int[] {x}, new double[] {1.0}, 1, 1, true);
        var before = LearnerCheckpoint.write(learner);

        assertThatThrownBy(() -> learner.learn(new int[] {x, x}, new double[] {1.0, 2.0}, 2, 0, true))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'").hasMessageContaining("twice");
        assertThatThrownBy(() -> learner.learn(new int[] {7}, new double[] {1.0}, 1, 0, true))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("feature id 7");
        assertThatThrownBy(() -> learner.learn(new int[] {x}, new double[] {Double.NaN}, 1, 0, true))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThat(LearnerCheckpoint.write(learner)).isEqualTo(before);
    }
}
