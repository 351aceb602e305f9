package dev.freshet.serving.internal;

import java.util.Map;

import dev.freshet.proto.registry.v1.ModelVersion;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;

/**
 * One loaded model version: a classifier ({@code model}) or a regression ({@code regression}), the other null.
 * Immutable; {@link #score} is thread-safe because Tribuo's {@code Model.predict} is.
 */
record ServedModel(String name, long version, ModelVersion.Origin origin, Model<Label> model,
                   Model<Regressor> regression) {

    ServedModel(String name, long version, ModelVersion.Origin origin, Model<Label> model) {
        this(name, version, origin, model, null);
    }

    /** A regression version (the trainer's trainer.task=regression). */
    static ServedModel ofRegression(String name, long version, ModelVersion.Origin origin,
                                    Model<Regressor> regression) {
        return new ServedModel(name, version, origin, null, regression);
    }

    /**
     * Scores the features.
     *
     * @throws InvalidRequestException if none of the features is known to the model
     */
    Prediction<Label> score(Map<String, Double> features) {
        String[] names = new String[features.size()];
        double[] values = new double[features.size()];
        int i = 0;
        for (Map.Entry<String, Double> feature : features.entrySet()) {
            names[i] = feature.getKey();
            values[i] = feature.getValue();
            i++;
        }
        try {
            if (regression != null) {
                // A regression's value travels as the score (and, as text, the label) of a prediction with no class
                // probabilities; the handler also sets it as the response's value.
                double value = regression.predict(new ArrayExample<>(RegressionFactory.UNKNOWN_REGRESSOR, names,
                    values)).getOutput().getValues()[0];
                return new Prediction<>(new Label(Double.toString(value), value), names.length,
                    new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, names, values));
            }
            return model.predict(new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, names, values));
        } catch (IllegalArgumentException e) {
            // Tribuo refuses an example with no feature it knows. Checked here, on failure only, rather than
            // before every prediction: the check costs as many lookups as the prediction itself.
            if (noneKnown(names)) {
                throw new InvalidRequestException(String.format(
                    "none of the %d features (request fields plus the entity's stored features) is known to model "
                        + "'%s' v%d; send fields the model was trained on, such as %s.",
                    features.size(), name, version, sampleFeatureNames()));
            }
            throw e;
        }
    }

    private boolean noneKnown(String[] names) {
        for (String name : names) {
            if (featureMap().get(name) != null) {
                return false;
            }
        }
        return true;
    }

    /** Whether this version predicts a number: its predictions' score is that number. */
    boolean isRegression() {
        return regression != null;
    }

    private org.tribuo.ImmutableFeatureMap featureMap() {
        return regression != null ? regression.getFeatureIDMap() : model.getFeatureIDMap();
    }

    private String sampleFeatureNames() {
        StringBuilder names = new StringBuilder();
        int shown = 0;
        for (var info : featureMap()) {
            if (shown == 5) {
                names.append(", ...");
                break;
            }
            names.append(shown == 0 ? "" : ", ").append('\'').append(info.getName()).append('\'');
            shown++;
        }
        return names.toString();
    }
}
