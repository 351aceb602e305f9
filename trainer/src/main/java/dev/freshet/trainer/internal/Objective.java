package dev.freshet.trainer.internal;

import org.tribuo.classification.sgd.LabelObjective;
import org.tribuo.classification.sgd.objectives.Hinge;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.regression.sgd.RegressionObjective;
import org.tribuo.regression.sgd.objectives.Huber;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/** The loss the learner minimises, by its configuration name; Tribuo's objectives do the maths. */
enum Objective {
    /** Softmax (multinomial logistic) log loss. */
    LOGISTIC("logistic", false),
    /** Multiclass hinge loss with margin 1 (a linear SVM); published models still map scores through softmax. */
    HINGE("hinge", false),
    /** Regression: half the squared error. */
    SQUARED("squared", true),
    /** Regression: squared error up to a threshold (the Huber delta), absolute error beyond it. */
    HUBER("huber", true);

    final String configName;
    private final boolean regression;

    Objective(String configName, boolean regression) {
        this.configName = configName;
        this.regression = regression;
    }

    static Objective fromConfig(String name) {
        for (Objective objective : values()) {
            if (objective.configName.equals(name)) {
                return objective;
            }
        }
        throw new IllegalArgumentException("Unknown objective '" + name + "'");
    }

    /** True for the regression losses, whose model has one output: the predicted number. */
    boolean regression() {
        return regression;
    }

    /** A new Tribuo classification objective: returns minus the loss and the ascent direction for the scores. */
    LabelObjective tribuo() {
        return switch (this) {
            case LOGISTIC -> new LogMulticlass();
            case HINGE -> new Hinge();
            case SQUARED, HUBER -> throw new IllegalStateException(configName + " is a regression loss");
        };
    }

    /**
     * A new Tribuo regression objective: its {@code lossAndGradient(truth, prediction)} gives the loss and the
     * ascent direction for the prediction.
     *
     * @param huberDelta the threshold of {@link #HUBER}; ignored otherwise
     */
    RegressionObjective tribuoRegression(double huberDelta) {
        return switch (this) {
            case SQUARED -> new SquaredLoss();
            case HUBER -> new Huber(huberDelta);
            case LOGISTIC, HINGE -> throw new IllegalStateException(configName + " is a classification loss");
        };
    }
}
