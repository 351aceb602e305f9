package dev.freshet.trainer.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.registry.v1.LearnerState;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;

/**
 * How a registry's records are read back, as the trainer reads them (a restart, an adoption) and as serving reads
 * them (a Tribuo model): the same procedure recorded the golden expectations and checks them.
 */
final class GoldenReads {
    static final List<String> BINARY = List.of("0", "1");
    static final List<String> MULTICLASS = List.of("low", "mid", "high");
    static final Optimiser.Settings MULTICLASS_OPTIMISER =
        new Optimiser.Settings(Optimiser.Kind.ADAM, 0.02, Optimiser.Schedule.CONSTANT, 0.9, 0.999, 1e-8);
    static final Optimiser.Settings REGRESSION_OPTIMISER = Optimiser.Settings.adaGrad(0.05);
    static final double REGRESSION_L2 = 1e-5;
    static final double HUBER_DELTA = 1.5;

    private GoldenReads() {
    }

    static LearningSession.Settings sessionSettings() {
        return new LearningSession.Settings(GoldenExamples.MODEL, BINARY, 0.1, 1e-5, 1_000, 60_000, 500, 2,
            GoldenExamples.TOPIC);
    }

    static byte[] resource(String name) {
        try (InputStream in = GoldenReads.class.getResourceAsStream("/golden/" + name)) {
            if (in == null) {
                throw new IllegalStateException("golden file " + name + " is missing from src/test/resources/golden");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A trainer restarting on a registry holding this version (and its schema, when packed). */
    static LearningSession restart(ModelVersion version, ModelSchema schema) {
        LearningSession session = new LearningSession(sessionSettings(), 0);
        if (schema != null) {
            session.publishPacked();
            session.onSchema(schema);
        }
        session.onModelVersion(version);
        if (!session.restoreCheckpoint()) {
            throw new IllegalStateException("the golden version's checkpoint was not restored");
        }
        return session;
    }

    /** Class probabilities of the learner for each probe, flattened. */
    static List<Double> learnerProbabilities(OnlineLearner learner) {
        List<Double> out = new ArrayList<>();
        for (Map<String, Double> probe : GoldenExamples.probes()) {
            for (double p : learner.predictProbabilities(probe)) {
                out.add(p);
            }
        }
        return out;
    }

    static List<Double> learnerValues(OnlineLearner learner) {
        List<Double> out = new ArrayList<>();
        for (Map<String, Double> probe : GoldenExamples.probes()) {
            out.add(learner.predictValue(probe));
        }
        return out;
    }

    /** Tribuo's score for each label, for each probe that has a feature (Tribuo refuses an empty example). */
    static List<Double> tribuoScores(Model<?> model, List<String> labels) {
        @SuppressWarnings("unchecked")
        Model<Label> classifier = (Model<Label>) model;
        List<Double> out = new ArrayList<>();
        for (Map<String, Double> probe : GoldenExamples.probes()) {
            if (probe.isEmpty()) {
                continue;
            }
            List<String> names = new ArrayList<>(probe.keySet());
            names.sort(null);
            double[] values = names.stream().mapToDouble(probe::get).toArray();
            Prediction<Label> prediction = classifier.predict(
                new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, names.toArray(String[]::new), values));
            for (String label : labels) {
                out.add(prediction.getOutputScores().get(label).getScore());
            }
        }
        return out;
    }

    /** A fresh learner that adopted a Tribuo model's weights, as the trainer adopts a version without checkpoint. */
    static OnlineLearner adopted(Model<?> model, long examples) {
        OnlineLearner learner = new OnlineLearner(BINARY, 0.1, 1e-5);
        learner.adopt(TribuoModels.fromTribuo(model, BINARY).model(), examples);
        return learner;
    }

    static OnlineLearner restoreMulticlass(LearnerState state) {
        return LearnerCheckpoint.restore(state, MULTICLASS, Objective.HINGE, MULTICLASS_OPTIMISER, 1e-4).learner();
    }

    static OnlineLearner restoreRegression(LearnerState state) {
        return LearnerCheckpoint.restore(state, LearningSession.Settings.REGRESSION_OUTPUT, Objective.HUBER,
            REGRESSION_OPTIMISER, REGRESSION_L2).learner();
    }
}
