package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.impl.ArrayExample;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;

/** Regression on a synthetic linear stream: y = 3 amount/100 - 2 velocity + 4 [channel=web] + 5 + noise. */
class RegressionTest {
    private static final double NOISE = 0.1;

    private final Random random = new Random(11);

    private static LearningSession.Settings settings(Objective objective) {
        return new LearningSession.Settings("price", LearningSession.Settings.REGRESSION_OUTPUT, objective,
            Optimiser.Settings.adaGrad(0.5), 1e-6, 1000, 60_000, 500, 3, "t.training-examples", null, 1.0);
    }

    private TrainingExample example(int i, boolean outlier) {
        // Features on very different scales, so that standardisation matters.
        double amount = 1000 + 300 * random.nextGaussian();
        double velocity = random.nextDouble();
        boolean web = random.nextBoolean();
        double y = 3 * amount / 100 - 2 * velocity + (web ? 4 : 0) + 5 + NOISE * random.nextGaussian();
        TrainingExample.Builder b = TrainingExample.newBuilder().setRequestId("r-" + i)
            .putFeatures("amount", amount).putFeatures("velocity", velocity)
            .setLabel(Double.toString(outlier ? y + 500 : y)).setLabelArrivedAtMs(i);
        if (web) {
            b.putFeatures("channel=web", 1.0);
        }
        return b.build();
    }

    private LearningSession learn(Objective objective, int n, double outlierShare) {
        LearningSession session = new LearningSession(settings(objective), 0);
        for (int i = 0; i < n; i++) {
            session.learn(example(i, random.nextDouble() < outlierShare), 0, i);
        }
        return session;
    }

    @Test
    void squaredLossBringsThePrequentialErrorUnderTheNoiseBound() {
        LearningSession session = learn(Objective.SQUARED, 6000, 0.0);

        Map<String, Double> metrics = session.prepareVersion(1000).version().getMetricsMap();

        // The last 1000 predictions, each made before learning its example: within a few times the noise.
        assertThat(metrics.get(RegressionMetrics.MAE_WINDOW)).isLessThan(3 * NOISE);
        assertThat(metrics.get(RegressionMetrics.RMSE_WINDOW)).isLessThan(4 * NOISE);
        assertThat(metrics.get(RegressionMetrics.MAE_SINCE_PARENT))
            .as("since the version started, including the first examples").isGreaterThan(
                metrics.get(RegressionMetrics.MAE_WINDOW));
        assertThat(metrics).containsEntry("examples_since_parent", 6000.0).containsEntry("examples_window", 1000.0);
    }

    @Test
    void huberLossIgnoresOutliersThatPullSquaredLossAway() {
        double huber = learn(Objective.HUBER, 6000, 0.02).prepareVersion(1000).version().getMetricsMap()
            .get(RegressionMetrics.MAE_WINDOW);
        double squared = learn(Objective.SQUARED, 6000, 0.02).prepareVersion(1000).version().getMetricsMap()
            .get(RegressionMetrics.MAE_WINDOW);

        // MAE is over every example, outliers included (2% of 500 contribute ~10); what differs is the rest.
        assertThat(huber).isLessThan(squared);
    }

    @Test
    void thePublishedTribuoRegressionModelPredictsWhatTheLearnerPredicts() {
        LearningSession session = learn(Objective.SQUARED, 3000, 0.0);
        ModelVersion mv = session.prepareVersion(1000).version();

        Model<?> model = TribuoModels.deserialize(mv.getTribuoModel().toByteArray());
        @SuppressWarnings("unchecked")
        Model<Regressor> regression = (Model<Regressor>) model;
        ArrayExample<Regressor> input = new ArrayExample<>(RegressionFactory.UNKNOWN_REGRESSOR,
            new String[] {"amount", "channel=web", "velocity"}, new double[] {1200, 1.0, 0.5});
        Prediction<Regressor> prediction = regression.predict(input);

        assertThat(model).isInstanceOf(org.tribuo.regression.sgd.linear.LinearSGDModel.class);
        assertThat(prediction.getOutput().getValues()[0])
            .isCloseTo(session.learner().predictValue(Map.of("amount", 1200.0, "channel=web", 1.0,
                "velocity", 0.5)), within(1e-6))
            .isCloseTo(3 * 12 - 1 + 4 + 5, within(0.5));
        assertThat(mv.getHyperparametersMap()).containsEntry("task", "regression").doesNotContainKey("labels");
        assertThat(mv.getLearnerState().getTask()).isEqualTo("regression");
    }

    @Test
    void aNonNumericLabelIsSkippedAndCounted() {
        LearningSession session = new LearningSession(settings(Objective.SQUARED), 0);

        session.learn(TrainingExample.newBuilder().putFeatures("x", 1.0).setLabel("high").build(), 0, 0);

        assertThat(session.stats().examplesSkipped()).containsEntry("non_numeric_label", 1L);
        assertThat(session.stats().examplesSeen()).isZero();
    }

    @Test
    void aCheckpointRestoresTheRegressionExactly() {
        LearningSession session = learn(Objective.SQUARED, 500, 0.0);
        LearningSession.PendingVersion v1 = session.prepareVersion(1000);
        session.published(v1, 1000);

        LearnerCheckpoint.Restored restored = LearnerCheckpoint.restore(v1.version().getLearnerState(),
            LearningSession.Settings.REGRESSION_OUTPUT, Objective.SQUARED, Optimiser.Settings.adaGrad(0.5), 1e-6);

        Map<String, Double> x = Map.of("amount", 900.0, "velocity", 0.1);
        assertThat(restored.optimiserStateRestored()).isTrue();
        assertThat(restored.learner().predictValue(x)).isEqualTo(session.learner().predictValue(x));
    }

    @Test
    void retrainFitsTheWindowAndReportsItsFirstPassError() {
        LearningSession session = learn(Objective.SQUARED, 1000, 0.0);

        Optional<LearningSession.PendingVersion> retrained = session.onCommand(Command.newBuilder()
            .setType(Command.Type.RETRAIN).setCommandId("c").setModel("price").build(), 2000, true).version();

        assertThat(retrained).isPresent();
        assertThat(retrained.get().version().getMetricsMap()).containsKey(RegressionMetrics.MAE_SINCE_PARENT)
            .containsEntry("retrain_window_examples", 500.0);
        assertThat(List.of(retrained.get().version().getOrigin())).containsExactly(ModelVersion.Origin.RETRAIN);
    }
}
