package dev.freshet.trainer.internal;

/**
 * The outcome of testing an example before training on it.
 *
 * @param predicted the label id predicted (highest score)
 * @param actual the true label id
 * @param logLoss minus the log of the probability given to the true label
 * @param positiveScore the probability given to label id 1 (the positive class when there are two)
 */
record TestOutcome(int predicted, int actual, double logLoss, double positiveScore) {
    boolean correct() {
        return predicted == actual;
    }
}
