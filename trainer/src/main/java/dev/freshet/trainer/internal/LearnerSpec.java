package dev.freshet.trainer.internal;

import java.util.List;

/**
 * What an {@link OnlineLearner} is: its outputs, its loss, its update rule and its L2 penalty.
 *
 * @param labels class labels, or a regression's one output; a label's position is its id in every published model
 * @param objective the loss minimised
 * @param optimiser the update rule and its hyperparameters
 * @param l2 L2 penalty on the (standardised) weights, not on the bias
 */
record LearnerSpec(List<String> labels, Objective objective, Optimiser.Settings optimiser, double l2) {
    /** @throws IllegalArgumentException if a regression has other than one output, or a classifier fewer than two */
    LearnerSpec {
        if (objective.regression() ? labels.size() != 1 : labels.size() < 2) {
            throw new IllegalArgumentException(objective.regression()
                ? "A regression has one output (its name as the only label), got " + labels
                : "At least two class labels are needed, got " + labels);
        }
        labels = List.copyOf(labels);
    }
}
