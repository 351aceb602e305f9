package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.proto.registry.v1.LearnerState;
import org.junit.jupiter.api.Test;

class CheckpointTest {
    private static final List<String> LABELS = List.of("0", "1");

    private static Map<String, Double> example(Random random, int i) {
        Map<String, Double> f = new HashMap<>();
        f.put("amount", 100 + 30 * random.nextGaussian());
        if (i % 3 == 0) {
            f.put("channel=web", 1.0);
        }
        if (i > 200) {
            f.put("late=" + (i % 4), 1.0);
        }
        return f;
    }

    private static void learn(OnlineLearner learner, Random random, int from, int to) {
        for (int i = from; i < to; i++) {
            Map<String, Double> f = example(random, i);
            learner.learn(f, f.get("amount") + (f.containsKey("channel=web") ? 20 : 0) > 110 ? 1 : 0, true);
        }
    }

    @Test
    void aRestoredLearnerContinuesBitForBitLikeTheOriginal() throws Exception {
        for (Optimiser.Settings optimiser : List.of(Optimiser.Settings.adaGrad(0.3),
                new Optimiser.Settings(Optimiser.Kind.ADAM, 0.01, Optimiser.Schedule.CONSTANT, 0.9, 0.999, 1e-8),
                new Optimiser.Settings(Optimiser.Kind.SGD, 0.5, Optimiser.Schedule.INVERSE_SQRT, 0, 0, 0))) {
            OnlineLearner original = new OnlineLearner(LABELS, Objective.LOGISTIC, optimiser, 1e-4);
            learn(original, new Random(1), 0, 300);
            LearnerState state = LearnerCheckpoint.write(original);

            OnlineLearner restored = LearnerCheckpoint.restore(LearnerState.parseFrom(state.toByteArray()), LABELS,
                Objective.LOGISTIC, optimiser, 1e-4).learner();
            learn(original, new Random(2), 300, 600);
            learn(restored, new Random(2), 300, 600);

            assertThat(LearnerCheckpoint.write(restored)).as(optimiser.kind().name()).isEqualTo(LearnerCheckpoint.write(original));
            assertThat(restored.examplesLearned()).isEqualTo(600);
        }
    }

    @Test
    void aCheckpointFromAnotherOptimiserKeepsTheWeightsButRestartsTheOptimiser() throws Exception {
        OnlineLearner original = new OnlineLearner(LABELS, Objective.LOGISTIC, Optimiser.Settings.adaGrad(0.3), 1e-4);
        learn(original, new Random(1), 0, 300);

        LearnerCheckpoint.Restored restored = LearnerCheckpoint.restore(LearnerCheckpoint.write(original), LABELS, Objective.LOGISTIC,
            new Optimiser.Settings(Optimiser.Kind.SGD, 0.1, Optimiser.Schedule.CONSTANT, 0, 0, 0), 1e-4);

        assertThat(restored.optimiserStateRestored()).isFalse();
        assertThat(restored.optimiserStateProblem()).contains("adagrad").contains("sgd");
        assertThat(LearnerCheckpoint.write(restored.learner()).getWeightsList()).isEqualTo(LearnerCheckpoint.write(original).getWeightsList());
    }

    @Test
    void aCheckpointWithOtherLabelsIsRefused() {
        OnlineLearner original = new OnlineLearner(LABELS, Objective.LOGISTIC, Optimiser.Settings.adaGrad(0.3), 1e-4);
        learn(original, new Random(1), 0, 10);

        assertThatThrownBy(() -> LearnerCheckpoint.restore(LearnerCheckpoint.write(original), List.of("a", "b", "c"),
            Objective.LOGISTIC, Optimiser.Settings.adaGrad(0.3), 1e-4))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels");
    }
}
