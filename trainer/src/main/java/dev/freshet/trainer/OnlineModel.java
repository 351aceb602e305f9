package dev.freshet.trainer;

import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.trainer.internal.InProcessModel;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@link Trainer}'s learning of one model inside your own process, without Kafka: the training examples the
 * feature store emits go through the same code as in the trainer's loop (label to class id or number, feature
 * checks, online standardisation, objective, optimiser), test then train, one at a time. Use it to backtest a model
 * spec on a file and get the figures the platform would get, or to embed online learning in an application.
 *
 * <pre>{@code
 * OnlineModel model = OnlineModel.fromSpecFile(Path.of("model.yaml"));
 * OnlineModel.Outcome outcome = model.testThenTrain(example);
 * if (outcome.learned()) { ... outcome.predictedLabel(), outcome.probability(1) ... }
 * }</pre>
 *
 * <p>An example the trainer would skip is skipped here too, counted by reason and never thrown: {@code
 * missing_label} (an empty label), {@code unknown_label} (a class not in {@code trainer.labels}),
 * {@code non_numeric_label} (a regression's label that is not a finite number), {@code non_finite_feature} (a NaN
 * or infinite feature value). Features never seen before join at any time.
 *
 * <p>Memory grows with the features known and, for the exact whole-stream AUC in {@link #metrics()}, by some 24
 * bytes per example learned. Not thread-safe: use one instance from one thread (or synchronise).
 */
public final class OnlineModel {
    /** What a model predicts. */
    public enum Task {
        /** One of {@link #labels()}, with a probability for each. */
        CLASSIFICATION,
        /** A number. */
        REGRESSION
    }

    private final InProcessModel model;
    private final Task task;

    private OnlineModel(InProcessModel model) {
        this.model = model;
        this.task = model.regression() ? Task.REGRESSION : Task.CLASSIFICATION;
    }

    /**
     * A fresh model.
     *
     * @param props the trainer's keys: {@code trainer.spec.file}, or the learning keys ({@code trainer.task},
     *     {@code trainer.labels}, {@code trainer.objective}, {@code trainer.optimiser}, {@code trainer.learning.rate},
     *     {@code trainer.l2} and the rest), with the trainer's defaults and validation; keys about Kafka and
     *     publishing are accepted and ignored
     * @throws ConfigException naming the key, if a value is invalid
     * @throws InvalidModelSpecException naming each field, if the model spec is invalid
     * @throws TrainerException if the model spec file cannot be read
     */
    public static OnlineModel create(Map<String, ?> props) {
        Map<String, Object> withBroker = new HashMap<>(props);
        // No broker is used; the trainer's configuration requires the key, so give it a value that says so.
        withBroker.putIfAbsent(TrainerConfig.BOOTSTRAP_SERVERS_CONFIG, "(in-process, unused)");
        return new OnlineModel(new InProcessModel(new TrainerConfig(withBroker)));
    }

    /**
     * A fresh model from a model spec file, as the trainer reads it with {@code trainer.spec.file}.
     *
     * @throws InvalidModelSpecException naming each field, if the model spec is invalid
     * @throws TrainerException if the file cannot be read
     */
    public static OnlineModel fromSpecFile(Path specFile) {
        return create(Map.of(TrainerConfig.SPEC_FILE_CONFIG, specFile.toString()));
    }

    /**
     * Predicts the example with the current model, then learns from it, as the trainer does with each record of
     * the training-examples topic.
     *
     * @param example a training example as the feature store's label join emits it (features and label are read)
     * @return what was predicted before learning, or why the example was skipped (nothing is learned then)
     */
    public Outcome testThenTrain(TrainingExample example) {
        String skipped = model.learn(example);
        if (skipped != null) {
            return new Outcome(skipped, -1, null, null, Double.NaN);
        }
        if (task == Task.REGRESSION) {
            return new Outcome(null, -1, null, null, model.lastPredictedValue());
        }
        int predicted = model.lastPredicted();
        return new Outcome(null, predicted, model.labels().get(predicted), model.lastProbabilities().clone(),
            Double.NaN);
    }

    /** Classification or regression. */
    public Task task() {
        return task;
    }

    /** The class labels, a label's position being its id; a regression's one output, {@code [value]}. */
    public List<String> labels() {
        return model.labels();
    }

    /** Examples handed to {@link #testThenTrain}, learned or skipped. */
    public long examplesSeen() {
        return model.examplesLearned() + examplesSkipped().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Examples learned. */
    public long examplesLearned() {
        return model.examplesLearned();
    }

    /** Examples skipped, by reason (see the class comment); an immutable copy. */
    public Map<String, Long> examplesSkipped() {
        return Map.copyOf(model.skipped());
    }

    /**
     * A new read-only map, in the order a version lists them, of the figures the trainer records in a model version, over every example since this model was made (its
     * "parent" is nothing): {@code examples_seen_since_parent}, {@code examples_since_parent} (learned),
     * {@code examples_skipped_since_parent} and {@code examples_skipped_<reason>_since_parent}; for classification
     * {@code prequential_accuracy_since_parent}, {@code prequential_log_loss_since_parent},
     * {@code prequential_macro_f1_since_parent}, {@code prequential_auc_since_parent} (two classes); for regression
     * {@code prequential_mae_since_parent} and {@code prequential_rmse_since_parent}; and the same over the last
     * 1,000 examples ({@code *_window}, {@code examples_window}). A figure over no examples is left out. Costs a
     * sort of the examples learned (for the AUC): call it when you report, not per example.
     */
    public Map<String, Double> metrics() {
        return Collections.unmodifiableMap(model.versionMetrics());
    }

    /** What {@link #testThenTrain} did with one example. Immutable. */
    public static final class Outcome {
        private final String skipReason;
        private final int predictedLabelId;
        private final String predictedLabel;
        private final double[] probabilities;
        private final double predictedValue;

        private Outcome(String skipReason, int predictedLabelId, String predictedLabel, double[] probabilities,
                        double predictedValue) {
            this.skipReason = skipReason;
            this.predictedLabelId = predictedLabelId;
            this.predictedLabel = predictedLabel;
            this.probabilities = probabilities;
            this.predictedValue = predictedValue;
        }

        /** True when the example was predicted and learned; false when it was skipped. */
        public boolean learned() {
            return skipReason == null;
        }

        /** Why the example was skipped ({@code unknown_label}, ...; see {@link OnlineModel}); empty if learned. */
        public Optional<String> skipReason() {
            return Optional.ofNullable(skipReason);
        }

        /**
         * Classification: the id of the label predicted before learning (highest probability).
         *
         * @throws IllegalStateException for a regression or a skipped example
         */
        public int predictedLabelId() {
            requireClass();
            return predictedLabelId;
        }

        /**
         * Classification: the label predicted before learning.
         *
         * @throws IllegalStateException for a regression or a skipped example
         */
        public String predictedLabel() {
            requireClass();
            return predictedLabel;
        }

        /**
         * Classification: the probability given to label id {@code labelId} before learning.
         *
         * @throws IllegalStateException for a regression or a skipped example
         * @throws IndexOutOfBoundsException for an id not in {@link OnlineModel#labels()}
         */
        public double probability(int labelId) {
            requireClass();
            return probabilities[labelId];
        }

        /**
         * Classification: the class probabilities before learning, in label-id order; a copy.
         *
         * @throws IllegalStateException for a regression or a skipped example
         */
        public double[] probabilities() {
            requireClass();
            return probabilities.clone();
        }

        /**
         * Regression: the value predicted before learning.
         *
         * @throws IllegalStateException for a classification or a skipped example
         */
        public double predictedValue() {
            if (skipReason != null || probabilities != null) {
                throw new IllegalStateException(skipReason != null ? "the example was skipped (" + skipReason + ")"
                    : "a classification predicts a label, not a value");
            }
            return predictedValue;
        }

        private void requireClass() {
            if (probabilities == null) {
                throw new IllegalStateException(skipReason != null ? "the example was skipped (" + skipReason + ")"
                    : "a regression predicts a value, not a label");
            }
        }

        @Override
        public String toString() {
            if (skipReason != null) {
                return "skipped (" + skipReason + ")";
            }
            return probabilities == null ? "predicted " + predictedValue : "predicted " + predictedLabel;
        }
    }
}
