package dev.freshet.trainer.internal;

import java.util.List;
import java.util.Map;

import dev.freshet.trainer.TrainerConfig;

/**
 * The trainer's learner and its prequential counts, driven by a caller in its own process instead of by the Kafka
 * loop: the implementation behind {@code dev.freshet.trainer.OnlineClassifier}. Not thread-safe.
 */
public final class InProcessLearner {
    private final OnlineLearner learner;
    private long examples;
    private long correct;
    private double logLossSum;
    /** Product of the true labels' (floored) probabilities since logLossSum last took it in: one log per many examples. */
    private double probabilityProduct = 1.0;

    /** A fresh learner with the trainer's learning settings from {@code config} (objective, optimiser, rate, L2). */
    public InProcessLearner(TrainerConfig config) {
        this.learner = new OnlineLearner(config.getList(TrainerConfig.LABELS_CONFIG),
            Objective.fromConfig(config.objective()), Optimiser.Settings.fromConfig(config),
            config.getDouble(TrainerConfig.L2_CONFIG));
    }

    public List<String> labels() {
        return learner.labels();
    }

    public int featureId(String name) {
        return learner.featureId(name);
    }

    public int numFeatures() {
        return learner.numFeatures();
    }

    /** Test then train on an example by feature ids; returns the label id predicted before learning. */
    public int testThenTrain(int[] ids, double[] values, int count, int labelId) {
        int predicted = learner.learn(ids, values, count, labelId, true);
        tally(predicted, labelId);
        return predicted;
    }

    /** Test then train on an example by feature names; returns the label id predicted before learning. */
    public int testThenTrain(Map<String, Double> features, int labelId) {
        for (Map.Entry<String, Double> e : features.entrySet()) {
            if (e.getValue() == null || !Double.isFinite(e.getValue())) {
                throw new IllegalArgumentException("feature '" + e.getKey() + "' is " + e.getValue());
            }
        }
        if (labelId < 0 || labelId >= learner.labels().size()) {
            throw new IllegalArgumentException("label id " + labelId + " is not one of " + learner.labels());
        }
        int predicted = learner.learn(features, labelId, true).predicted();
        tally(predicted, labelId);
        return predicted;
    }

    private void tally(int predicted, int labelId) {
        examples++;
        if (predicted == labelId) {
            correct++;
        }
        probabilityProduct *= Math.max(learner.lastTrueProbability(), 1e-15);
        if (probabilityProduct < 1e-250) {
            logLossSum -= Math.log(probabilityProduct);
            probabilityProduct = 1.0;
        }
    }

    public double[] predictProbabilities(Map<String, Double> features) {
        return learner.predictProbabilities(features);
    }

    public double lastLogLoss() {
        return learner.lastLogLoss();
    }

    public double lastPositiveProbability() {
        return learner.lastPositiveScore();
    }

    public long examples() {
        return examples;
    }

    public long correct() {
        return correct;
    }

    public double logLossSum() {
        return logLossSum - Math.log(probabilityProduct);
    }
}
