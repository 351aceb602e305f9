package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class OptimiserTest {
    private static Optimiser.Settings adam(double rate) {
        return new Optimiser.Settings(Optimiser.Kind.ADAM, rate, Optimiser.Schedule.CONSTANT, 0.9, 0.999, 1e-8);
    }

    private static Optimiser.Settings sgd(double rate, Optimiser.Schedule schedule) {
        return new Optimiser.Settings(Optimiser.Kind.SGD, rate, schedule, 0, 0, 0);
    }

    @Test
    void adamsFirstStepIsTheLearningRateWhateverTheGradientsScale() {
        // Bias-corrected moments make the first step lr * g / |g|; Tribuo 4.3.2's Adam multiplies by sqrt(v) instead,
        // so its step grows with the square of the gradient.
        for (double gradient : new double[] {1e-3, 1.0, 1e3}) {
            Optimiser optimiser = new Optimiser(adam(0.01), 1, 1);
            optimiser.beginStep();
            assertThat(optimiser.weightDelta(0, 0, gradient)).as("gradient %s", gradient)
                .isCloseTo(0.01, within(1e-6));
            assertThat(optimiser.biasDelta(0, -gradient)).isCloseTo(-0.01, within(1e-6));
        }
    }

    @Test
    void adamsStepsFollowTheBiasCorrectedMoments() {
        Optimiser optimiser = new Optimiser(adam(0.1), 1, 1);
        double m = 0;
        double v = 0;
        double[] gradients = {0.5, -0.2, 0.3, 0.3, -1.0};
        for (int t = 1; t <= gradients.length; t++) {
            double g = gradients[t - 1];
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            double expected = 0.1 * (m / (1 - Math.pow(0.9, t))) / (Math.sqrt(v / (1 - Math.pow(0.999, t))) + 1e-8);
            optimiser.beginStep();
            assertThat(optimiser.weightDelta(0, 0, g)).as("step %s", t).isCloseTo(expected, within(1e-12));
        }
    }

    @ParameterizedTest
    @CsvSource({"CONSTANT, 1.0, 1.0", "INVERSE_SQRT, 1.0, 0.5", "INVERSE, 1.0, 0.25"})
    void sgdFollowsItsLearningRateSchedule(Optimiser.Schedule schedule, double atStep1, double atStep4) {
        Optimiser optimiser = new Optimiser(sgd(1.0, schedule), 1, 1);
        optimiser.beginStep();
        assertThat(optimiser.weightDelta(0, 0, 1.0)).isCloseTo(atStep1, within(1e-12));
        optimiser.beginStep();
        optimiser.beginStep();
        optimiser.beginStep();
        assertThat(optimiser.weightDelta(0, 0, 1.0)).isCloseTo(atStep4, within(1e-12));
    }

    @ParameterizedTest
    @CsvSource({"LOGISTIC, adagrad", "LOGISTIC, sgd", "LOGISTIC, adam", "HINGE, adagrad", "HINGE, sgd", "HINGE, adam"})
    void everyObjectiveAndOptimiserLearnsAMulticlassStream(Objective objective, String optimiserName) {
        Optimiser.Settings optimiser = switch (optimiserName) {
            case "sgd" -> sgd(0.5, Optimiser.Schedule.INVERSE_SQRT);
            case "adam" -> adam(0.01);
            default -> Optimiser.Settings.adaGrad(0.5);
        };
        OnlineLearner learner = new OnlineLearner(List.of("a", "b", "c"), objective, optimiser, 1e-5);
        PrequentialMetrics metrics = new PrequentialMetrics(1000, 3);
        Random random = new Random(17);
        for (int i = 0; i < 6000; i++) {
            Map<String, Double> f = new HashMap<>();
            double x = 1000 + 300 * random.nextGaussian();
            double y = random.nextGaussian();
            f.put("x", x);
            f.put("y", y);
            int label = x > 1150 ? 0 : y > 0 ? 1 : 2;
            metrics.record(learner.learn(f, label, true));
        }

        assertThat(metrics.windowAccuracy()).as(objective + "/" + optimiserName).isGreaterThan(0.9);
        assertThat(metrics.asVersionMetrics().get(PrequentialMetrics.MACRO_F1_WINDOW)).isGreaterThan(0.85);
    }
}
