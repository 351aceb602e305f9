package dev.freshet.trainer.internal;

import java.util.Arrays;

import org.tribuo.math.la.DenseVector;
import org.tribuo.regression.sgd.RegressionObjective;

/**
 * The ascent directions of the learner's losses for one example, computed into the caller's arrays: the same
 * directions as Tribuo's {@code LogMulticlass}, {@code Hinge} and regression objectives give, without allocating for
 * the classification losses. Stateless.
 */
final class Losses {
    private static final double HINGE_MARGIN = 1.0;

    private Losses() {
    }

    /** Softmax log loss: {@code ascent[k] = [k is the true label] - p[k]}, from the scores' probabilities. */
    static void logisticAscent(double[] probabilities, int labelId, double[] ascent) {
        if (probabilities.length == 2) {
            // Exactly opposite, as the two ascents are in exact arithmetic, so that mirrored outputs stay mirrored.
            ascent[1] = (labelId == 1 ? 1.0 : 0.0) - probabilities[1];
            ascent[0] = -ascent[1];
            return;
        }
        for (int k = 0; k < probabilities.length; k++) {
            ascent[k] = (k == labelId ? 1.0 : 0.0) - probabilities[k];
        }
    }

    /**
     * Tribuo's multiclass hinge ({@code Hinge}, margin 1): with the true label's score lowered by the margin, if
     * another label scores highest, ascend on the true label and descend on that one. Leaves {@code scores} as given.
     */
    static void hingeAscent(double[] scores, int labelId, double[] ascent) {
        Arrays.fill(ascent, 0.0);
        scores[labelId] -= HINGE_MARGIN;
        int top = argMax(scores);
        scores[labelId] += HINGE_MARGIN;
        if (top != labelId) {
            ascent[labelId] = HINGE_MARGIN;
            ascent[top] = -HINGE_MARGIN;
        }
    }

    /**
     * The ascent direction for a standardised regression score: Tribuo's loss taken in label units (so that Huber's
     * threshold is in label units) at the prediction {@code current}, divided by the label's scale {@code sigma}.
     */
    static double regressionAscent(RegressionObjective loss, double target, double current, double sigma) {
        return loss.lossAndGradient(DenseVector.createDenseVector(new double[] {target}),
            DenseVector.createDenseVector(new double[] {current})).getB().get(0) / sigma;
    }

    /** The softmax of the scores, in a new array. */
    static double[] softmax(double[] scores) {
        double[] p = new double[scores.length];
        softmax(scores, p);
        return p;
    }

    /** The softmax of the scores, into {@code p}. */
    static void softmax(double[] scores, double[] p) {
        if (scores.length == 2) {
            // The logistic function of the difference: one exponential instead of two.
            p[1] = 1.0 / (1.0 + Math.exp(scores[0] - scores[1]));
            p[0] = 1.0 - p[1];
            return;
        }
        double top = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            top = Math.max(top, s);
        }
        double sum = 0.0;
        for (int k = 0; k < scores.length; k++) {
            p[k] = Math.exp(scores[k] - top);
            sum += p[k];
        }
        for (int k = 0; k < p.length; k++) {
            p[k] /= sum;
        }
    }

    /** The first position of the largest value. */
    static int argMax(double[] values) {
        int best = 0;
        for (int k = 1; k < values.length; k++) {
            if (values[k] > values[best]) {
                best = k;
            }
        }
        return best;
    }
}
