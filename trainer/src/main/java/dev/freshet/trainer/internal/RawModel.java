package dev.freshet.trainer.internal;

import java.util.List;

/**
 * A linear model over raw (unstandardised) features, the form a published Tribuo model has:
 * {@code weights[label][feature]}, features in {@code featureNames} order, with the statistics of those features
 * over {@code statisticsExamples} examples (may be empty when unknown).
 */
record RawModel(List<String> labels, List<String> featureNames, double[][] weights, double[] bias,
                List<FeatureStatistics> statistics, long statisticsExamples) {

    /** Statistics of one feature over the examples where it was present (Tribuo's {@code RealInfo} semantics). */
    record FeatureStatistics(String name, long count, double mean, double sumSquaredDeviations, double min,
                             double max) {
    }
}
