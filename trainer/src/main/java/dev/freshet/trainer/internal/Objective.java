package dev.freshet.trainer.internal;

import org.tribuo.classification.sgd.LabelObjective;
import org.tribuo.classification.sgd.objectives.Hinge;
import org.tribuo.classification.sgd.objectives.LogMulticlass;

/** The classification loss the learner minimises, by its configuration name; Tribuo's objectives do the maths. */
enum Objective {
    /** Softmax (multinomial logistic) log loss. */
    LOGISTIC("logistic"),
    /** Multiclass hinge loss with margin 1 (a linear SVM); published models still map scores through softmax. */
    HINGE("hinge");

    final String configName;

    Objective(String configName) {
        this.configName = configName;
    }

    static Objective fromConfig(String name) {
        for (Objective objective : values()) {
            if (objective.configName.equals(name)) {
                return objective;
            }
        }
        throw new IllegalArgumentException("Unknown objective '" + name + "'");
    }

    /** A new Tribuo objective: returns minus the loss and the ascent direction with respect to the scores. */
    LabelObjective tribuo() {
        return switch (this) {
            case LOGISTIC -> new LogMulticlass();
            case HINGE -> new Hinge();
        };
    }
}
