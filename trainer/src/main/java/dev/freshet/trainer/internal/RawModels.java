package dev.freshet.trainer.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Moves an {@link OnlineLearner}'s model between its standardised space and raw feature space, the space of a
 * published Tribuo model. Folding: {@code w'_j = w_j / sigma_j}, {@code b' = b - sum_j w_j mu_j / sigma_j} (and, for a
 * regression, the label's standardisation too); unfolding is the inverse. Both are exact up to rounding: a model fed
 * raw features predicts what the learner predicts. Stateless.
 */
final class RawModels {
    private RawModels() {
    }

    /** The learner's model in raw feature space, features in name order, with their statistics. */
    static RawModel fold(OnlineLearner learner) {
        List<String> labels = learner.labels();
        int k = labels.size();
        FeatureVocabulary vocabulary = learner.vocabulary();
        RunningStandardiser stats = learner.standardiser();
        double[][] weights = learner.weights();
        List<String> names = new ArrayList<>(vocabulary.names());
        names.sort(null);
        double[][] rawWeights = new double[k][names.size()];
        double[] rawBias = learner.bias().clone();
        List<RawModel.FeatureStatistics> statistics = new ArrayList<>(names.size());
        for (int col = 0; col < names.size(); col++) {
            int j = vocabulary.idOf(names.get(col));
            double mu = stats.centre(j);
            double sigma = stats.scale(j);
            for (int c = 0; c < k; c++) {
                rawWeights[c][col] = weights[c][j] / sigma;
                rawBias[c] -= weights[c][j] * mu / sigma;
            }
            statistics.add(new RawModel.FeatureStatistics(names.get(col), stats.count(j), stats.mean(j), stats.m2(j),
                stats.min(j), stats.max(j)));
        }
        if (learner.spec().objective().regression()) {
            // Unfold the label's standardisation too: raw prediction = mean + sigma * standardised prediction.
            double sigma = learner.labelMoments().std();
            for (int col = 0; col < names.size(); col++) {
                rawWeights[0][col] *= sigma;
            }
            rawBias[0] = learner.labelMoments().mean() + sigma * rawBias[0];
        }
        return new RawModel(labels, names, rawWeights, rawBias, statistics, stats.examples());
    }

    /**
     * Replaces the learner's weights with a raw-space model's: optionally takes over its feature statistics, then
     * unfolds its weights with the resulting standardisation ({@code w_j = w'_j sigma_j},
     * {@code b = b' + sum_j w'_j mu_j}). Features the learner knows but the model lacks get weight 0; the optimiser
     * restarts from zero.
     *
     * @throws IllegalArgumentException if the model's labels are not the learner's
     */
    static void unfold(RawModel model, OnlineLearner learner) {
        List<String> labels = learner.labels();
        if (!model.labels().equals(labels)) {
            throw new IllegalArgumentException("Labels " + model.labels() + " differ from " + labels);
        }
        for (String name : model.featureNames()) {
            learner.featureId(name);
        }
        RunningStandardiser stats = learner.standardiser();
        if (model.statisticsExamples() > 0 && !model.statistics().isEmpty()) {
            stats.reset(model.statisticsExamples());
            for (RawModel.FeatureStatistics s : model.statistics()) {
                // A count above N would make the variance formula meaningless; such statistics are not usable.
                stats.set(learner.featureId(s.name()), Math.min(s.count(), model.statisticsExamples()), s.mean(),
                    Math.max(s.sumSquaredDeviations(), 0.0), s.min(), s.max());
            }
        }
        stats.recountDense();
        double[][] weights = learner.weights();
        double[] bias = learner.bias();
        for (double[] row : weights) {
            Arrays.fill(row, 0.0);
        }
        learner.optimiser().reset();
        for (int c = 0; c < labels.size(); c++) {
            bias[c] = model.bias()[c];
        }
        List<String> names = model.featureNames();
        for (int col = 0; col < names.size(); col++) {
            int j = learner.vocabulary().idOf(names.get(col));
            double mu = stats.centre(j);
            double sigma = stats.scale(j);
            for (int c = 0; c < labels.size(); c++) {
                double raw = model.weights()[c][col];
                weights[c][j] = raw * sigma;
                bias[c] += raw * mu;
            }
        }
    }
}
