package dev.freshet.trainer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.trainer.internal.InProcessLearner;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@link Trainer}'s online learner inside your own process, without Kafka: the same model, standardisation,
 * objective and optimiser, learning from examples you hand it one at a time, test-then-train. Use it to backtest a
 * configuration on a file, to embed online learning in an application, or to measure the learner alone.
 *
 * <pre>{@code
 * OnlineClassifier classifier = OnlineClassifier.create(Map.of("trainer.labels", "DOWN,UP"));
 * String predicted = classifier.testThenTrain(Map.of("nswprice", 0.06, "day=2", 1.0), "UP");
 * }</pre>
 *
 * <p>Two ways in: by feature name ({@link #testThenTrain(Map, String)}), or, on a hot path, by feature ids from
 * {@link #featureId} in arrays you reuse ({@link #testThenTrain(int[], double[], int, int)}), which allocates nothing.
 * An example costs time in proportion to its non-zero features. Features never seen before join at any time.
 *
 * <p>This is the learner alone, on features already encoded. To backtest what the trainer would do with the
 * feature store's {@code TrainingExample} records (its label mapping, its skips, its version figures, regression
 * too), use {@link OnlineModel}, which runs the trainer's own code.
 *
 * <p>Not thread-safe: use one instance from one thread (or synchronise).
 */
public final class OnlineClassifier {
    private final InProcessLearner learner;

    private OnlineClassifier(InProcessLearner learner) {
        this.learner = learner;
    }

    /**
     * A fresh classifier.
     *
     * @param props the trainer's learning keys ({@code trainer.labels}, {@code trainer.objective},
     *     {@code trainer.optimiser}, {@code trainer.learning.rate}, {@code trainer.learning.rate.schedule},
     *     {@code trainer.adam.*}, {@code trainer.l2}, or a {@code trainer.spec.file}), with the trainer's defaults and
     *     validation; keys about Kafka and publishing are accepted and ignored
     * @throws ConfigException naming the key, if a value is invalid, or if {@code trainer.task} is not classification
     */
    public static OnlineClassifier create(Map<String, ?> props) {
        Map<String, Object> withBroker = new HashMap<>(props);
        // No broker is used; the trainer's configuration requires the key, so give it a value that says so.
        withBroker.putIfAbsent(TrainerConfig.BOOTSTRAP_SERVERS_CONFIG, "(in-process, unused)");
        TrainerConfig config = new TrainerConfig(withBroker);
        if (config.regression()) {
            throw new ConfigException(TrainerConfig.TASK_CONFIG, "regression",
                "OnlineClassifier learns classification only");
        }
        return new OnlineClassifier(new InProcessLearner(config));
    }

    /** The class labels; a label's position is its id. */
    public List<String> labels() {
        return learner.labels();
    }

    /**
     * The id of a class label.
     *
     * @throws IllegalArgumentException if the label is not one of {@link #labels()}
     */
    public int labelId(String label) {
        int id = learner.labels().indexOf(label);
        if (id < 0) {
            throw new IllegalArgumentException("label '" + label + "' is not one of " + learner.labels()
                + "; set trainer.labels to learn it");
        }
        return id;
    }

    /**
     * The id of a feature, registering the name if it is new (that alone changes no prediction). Ids are 0, 1, 2...
     * in order of registration, and stay valid for the life of this instance.
     */
    public int featureId(String name) {
        return learner.featureId(name);
    }

    /**
     * Scores an example with the current model, then learns from it.
     *
     * @param features raw values by feature name (numbers as they are, booleans 1/0, a string field {@code f} with
     *     value {@code v} as {@code "f=v"} with 1.0); an absent feature is 0
     * @param label the true label
     * @return the label predicted before learning
     * @throws IllegalArgumentException if a value is not finite or the label is unknown; nothing is learned then
     */
    public String testThenTrain(Map<String, Double> features, String label) {
        return learner.labels().get(learner.testThenTrain(features, labelId(label)));
    }

    /**
     * Scores an example with the current model, then learns from it, without allocating.
     *
     * @param featureIds ids from {@link #featureId} of the example's non-zero features, each at most once; only the
     *     first {@code count} are read
     * @param values their raw values, finite, in the same order
     * @param count how many features the example has
     * @param labelId the true label's id ({@link #labelId})
     * @return the label id predicted before learning
     * @throws IllegalArgumentException for an unknown or repeated feature id, a non-finite value or an unknown label
     *     id; nothing is learned then
     */
    public int testThenTrain(int[] featureIds, double[] values, int count, int labelId) {
        return learner.testThenTrain(featureIds, values, count, labelId);
    }

    /**
     * Class probabilities under the current model, in label-id order, without learning. Unknown features are
     * ignored.
     */
    public double[] predictProbabilities(Map<String, Double> features) {
        return learner.predictProbabilities(features);
    }

    /** Minus the natural log of the probability the last {@code testThenTrain} gave the true label. */
    public double lastLogLoss() {
        return learner.lastLogLoss();
    }

    /** Examples learned so far. */
    public long examplesLearned() {
        return learner.examples();
    }

    /** Share of the examples learned so far whose label was predicted right before learning; NaN before any. */
    public double prequentialAccuracy() {
        return learner.examples() == 0 ? Double.NaN : (double) learner.correct() / learner.examples();
    }

    /** Mean of {@link #lastLogLoss()} over the examples learned so far; NaN before any. */
    public double prequentialLogLoss() {
        return learner.examples() == 0 ? Double.NaN : learner.logLossSum() / learner.examples();
    }
}
