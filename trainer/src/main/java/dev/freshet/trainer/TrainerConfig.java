package dev.freshet.trainer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.ConfigKeys;
import dev.freshet.contracts.ConfigValues;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.registry.v1.SpecLineage;
import dev.freshet.trainer.internal.ModelSpecFile;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Configuration of the {@link Trainer}. Immutable; invalid values fail construction with a {@link ConfigException}. */
public final class TrainerConfig extends AbstractConfig {
    private static final Logger log = LoggerFactory.getLogger(TrainerConfig.class);

    public static final String SPEC_FILE_CONFIG = "trainer.spec.file";
    private static final String SPEC_FILE_DOC = "Path of a YAML model spec (e.g. examples/model.yaml): model name, "
        + "feature view, label field, task, labels, objective, optimiser, L2, publish cadence, retrain window. "
        + "What the spec sets wins over the trainer.* keys, which remain the defaults for what it leaves out. "
        + "Validated at start (each problem named by its field path); each version records the spec and the feature "
        + "view's version in its lineage. Empty: the trainer.* keys alone.";

    public static final String TASK_CONFIG = "trainer.task";
    private static final String TASK_DOC = "What the model predicts: 'classification' (one of trainer.labels; binary "
        + "with two labels, multiclass with more) or 'regression' (a number parsed from the example's label).";

    public static final String HUBER_DELTA_CONFIG = "trainer.huber.delta";
    private static final String HUBER_DELTA_DOC = "Only with trainer.objective=huber: the error (in label units) "
        + "beyond which the loss grows linearly rather than quadratically, limiting the pull of outliers.";

    /** Shared key ({@link CommonConfig}): the Kafka cluster. Required. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = CommonConfig.BOOTSTRAP_SERVERS_CONFIG;

    /** Shared key ({@link CommonConfig}): the prefix of every topic name. */
    public static final String TOPICS_PREFIX_CONFIG = CommonConfig.TOPICS_PREFIX_CONFIG;

    public static final String MODEL_NAME_CONFIG = "trainer.model.name";
    private static final String MODEL_NAME_DOC = "Name of the model this trainer learns and publishes versions of.";

    public static final String LABELS_CONFIG = "trainer.labels";
    private static final String LABELS_DOC = "Class labels the model predicts, in the order of their ids in published "
        + "models. Training examples with any other label are counted as skipped and logged.";

    public static final String OBJECTIVE_CONFIG = "trainer.objective";
    private static final String OBJECTIVE_DOC = "Loss minimised. Classification: 'logistic' (softmax log loss) or "
        + "'hinge' (multiclass hinge, a linear SVM); published models map scores to probabilities with softmax "
        + "either way. Regression: 'squared' or 'huber' (see trainer.huber.delta); with trainer.task=regression the "
        + "default is 'squared'.";

    public static final String OPTIMISER_CONFIG = "trainer.optimiser";
    private static final String OPTIMISER_DOC = "Gradient update rule: 'adagrad', 'sgd' (plain SGD with "
        + "trainer.learning.rate.schedule) or 'adam' (Kingma and Ba, with bias correction; Tribuo 4.3.2's Adam is not "
        + "used since it multiplies by the second moment where it should divide).";

    public static final String LEARNING_RATE_CONFIG = "trainer.learning.rate";
    private static final String LEARNING_RATE_DOC = "Base learning rate. Unset: 0.5 for adagrad and sgd (features are "
        + "standardised online, so one rate suits most streams; 0.5 reached the demo's accuracy in half the examples "
        + "0.1 needed), 0.01 for adam.";

    public static final String LEARNING_RATE_SCHEDULE_CONFIG = "trainer.learning.rate.schedule";
    private static final String LEARNING_RATE_SCHEDULE_DOC = "Only with trainer.optimiser=sgd: the rate at step t is "
        + "the base rate ('constant'), the base rate / sqrt(t) ('inverse_sqrt') or the base rate / t ('inverse').";

    public static final String ADAM_BETA1_CONFIG = "trainer.adam.beta1";
    private static final String ADAM_BETA1_DOC = "Only with trainer.optimiser=adam: decay of the first-moment (mean) "
        + "estimate.";

    public static final String ADAM_BETA2_CONFIG = "trainer.adam.beta2";
    private static final String ADAM_BETA2_DOC = "Only with trainer.optimiser=adam: decay of the second-moment "
        + "(uncentred variance) estimate.";

    public static final String ADAM_EPSILON_CONFIG = "trainer.adam.epsilon";
    private static final String ADAM_EPSILON_DOC = "Only with trainer.optimiser=adam: added to the root of the "
        + "second moment to keep steps finite.";

    public static final String L2_CONFIG = "trainer.l2";
    private static final String L2_DOC = "L2 penalty per example on the standardised weights (not on the bias).";

    public static final String PUBLISH_EVERY_EXAMPLES_CONFIG = "trainer.publish.every.examples";
    private static final String PUBLISH_EVERY_EXAMPLES_DOC =
        "Publish a new model version after this many examples learned since the last one.";

    public static final String PUBLISH_INTERVAL_MS_CONFIG = "trainer.publish.interval.ms";
    private static final String PUBLISH_INTERVAL_MS_DOC = "Publish a new model version at least this often "
        + "(milliseconds), provided at least trainer.publish.min.examples examples were learned since the last one.";

    public static final String PUBLISH_MIN_EXAMPLES_CONFIG = "trainer.publish.min.examples";
    private static final String PUBLISH_MIN_EXAMPLES_DOC = "Fewest new examples a version published for "
        + "trainer.publish.interval.ms covers, so that a slow stream does not cut a version (and a checkpoint) per "
        + "example; at most trainer.publish.every.examples (the default, 100, is lowered to it). Two exceptions: "
        + "fewer are published once the oldest of them waited trainer.publish.max.delay.ms, and the first version "
        + "of a RESET's fresh model waits only for the interval. A RETRAIN publishes at once.";
    private static final int PUBLISH_MIN_EXAMPLES_DEFAULT = 100;

    public static final String PUBLISH_MAX_DELAY_MS_CONFIG = "trainer.publish.max.delay.ms";
    private static final String PUBLISH_MAX_DELAY_MS_DOC = "Longest an example learned waits for a version "
        + "(milliseconds) when fewer than trainer.publish.min.examples follow it: then a version is published "
        + "with what there is, so a trickle of labels still reaches serving (never more often than "
        + "trainer.publish.interval.ms).";

    public static final String RETRAIN_WINDOW_EXAMPLES_CONFIG = "trainer.retrain.window.examples";
    private static final String RETRAIN_WINDOW_EXAMPLES_DOC =
        "How many of the most recent examples are kept in memory to retrain from on a RETRAIN command.";

    public static final String REGISTRY_RETAINED_VERSIONS_CONFIG = "trainer.registry.retained.versions";
    private static final String REGISTRY_RETAINED_VERSIONS_DOC = "How many of the newest model versions the "
        + "registry keeps: each publication also deletes (a tombstone on the compacted models topic) every version "
        + "this many or more below it, so the topic and every start-up read of it stay bounded. Rollbacks can only "
        + "restore a version that is still kept: keep at least the versions published while the monitor judges "
        + "one (the labels' delay times the publishing rate, trainer.publish.interval.ms) plus the ancestors it "
        + "pools as a baseline (up to 20).";
    public static final int REGISTRY_RETAINED_VERSIONS_DEFAULT = 100;

    public static final String RETRAIN_EPOCHS_CONFIG = "trainer.retrain.epochs";
    private static final String RETRAIN_EPOCHS_DOC = "Passes over the retained window when retraining.";

    private static final ConfigDef CONFIG = CommonConfig.defineShared(new ConfigDef(), true)
        .define(MODEL_NAME_CONFIG, Type.STRING, "default", new ConfigDef.NonEmptyString(), Importance.HIGH,
            MODEL_NAME_DOC)
        .define(LABELS_CONFIG, Type.LIST, "0,1", new DistinctLabels(), Importance.HIGH, LABELS_DOC)
        .define(SPEC_FILE_CONFIG, Type.STRING, "", Importance.HIGH, SPEC_FILE_DOC)
        .define(TASK_CONFIG, Type.STRING, "classification", ConfigDef.ValidString.in("classification", "regression"),
            Importance.HIGH, TASK_DOC)
        .define(OBJECTIVE_CONFIG, Type.STRING, "logistic",
            ConfigDef.ValidString.in("logistic", "hinge", "squared", "huber"), Importance.MEDIUM, OBJECTIVE_DOC)
        .define(HUBER_DELTA_CONFIG, Type.DOUBLE, 1.0, Range.between(1e-9, 1e9), Importance.LOW, HUBER_DELTA_DOC)
        .define(OPTIMISER_CONFIG, Type.STRING, "adagrad", ConfigDef.ValidString.in("adagrad", "sgd", "adam"),
            Importance.MEDIUM, OPTIMISER_DOC)
        .define(LEARNING_RATE_CONFIG, Type.DOUBLE, null, new OptionalRange(1e-9, 100.0), Importance.MEDIUM,
            LEARNING_RATE_DOC)
        .define(LEARNING_RATE_SCHEDULE_CONFIG, Type.STRING, "inverse_sqrt",
            ConfigDef.ValidString.in("constant", "inverse_sqrt", "inverse"), Importance.LOW,
            LEARNING_RATE_SCHEDULE_DOC)
        .define(ADAM_BETA1_CONFIG, Type.DOUBLE, 0.9, Range.between(0.0, 0.999999), Importance.LOW, ADAM_BETA1_DOC)
        .define(ADAM_BETA2_CONFIG, Type.DOUBLE, 0.999, Range.between(0.0, 0.999999999), Importance.LOW,
            ADAM_BETA2_DOC)
        .define(ADAM_EPSILON_CONFIG, Type.DOUBLE, 1e-8, Range.between(1e-12, 1.0), Importance.LOW, ADAM_EPSILON_DOC)
        .define(L2_CONFIG, Type.DOUBLE, 1e-5, Range.between(0.0, 10.0), Importance.LOW, L2_DOC)
        .define(PUBLISH_EVERY_EXAMPLES_CONFIG, Type.INT, 1000, Range.atLeast(1), Importance.MEDIUM,
            PUBLISH_EVERY_EXAMPLES_DOC)
        .define(PUBLISH_INTERVAL_MS_CONFIG, Type.LONG, 1000L, Range.atLeast(1), Importance.MEDIUM,
            PUBLISH_INTERVAL_MS_DOC)
        .define(PUBLISH_MIN_EXAMPLES_CONFIG, Type.INT, PUBLISH_MIN_EXAMPLES_DEFAULT, Range.atLeast(1),
            Importance.LOW, PUBLISH_MIN_EXAMPLES_DOC)
        .define(PUBLISH_MAX_DELAY_MS_CONFIG, Type.LONG, 10_000L, Range.between(1, 315_360_000_000L),
            Importance.LOW, PUBLISH_MAX_DELAY_MS_DOC)
        .define(RETRAIN_WINDOW_EXAMPLES_CONFIG, Type.INT, 2000, Range.between(1, 10_000_000), Importance.MEDIUM,
            RETRAIN_WINDOW_EXAMPLES_DOC)
        .define(REGISTRY_RETAINED_VERSIONS_CONFIG, Type.INT, REGISTRY_RETAINED_VERSIONS_DEFAULT,
            Range.between(2, 1_000_000_000), Importance.MEDIUM, REGISTRY_RETAINED_VERSIONS_DOC)
        .define(RETRAIN_EPOCHS_CONFIG, Type.INT, 3, Range.between(1, 1000), Importance.LOW, RETRAIN_EPOCHS_DOC);

    private final SpecLineage spec;

    /**
     * @param props configuration; keys of other components are ignored, an unknown trainer.* key or kafka.*
     *     setting is refused. If {@value #SPEC_FILE_CONFIG} is set, the spec's
     *     values replace the keys they correspond to.
     * @throws ConfigException naming the key, the value and what is accepted, if a value is invalid or missing
     * @throws InvalidModelSpecException naming each field path and reason, if the model spec is invalid
     * @throws TrainerException if the model spec file cannot be read
     */
    public TrainerConfig(Map<String, ?> props) {
        this(ConfigValues.resolve(props), loadSpec(ConfigValues.resolve(props)));
    }

    private TrainerConfig(Map<String, ?> props, Optional<ModelSpecFile.Loaded> spec) {
        super(CONFIG, withSpec(props, spec));
        ConfigKeys.requireKnownIn(props, CONFIG, "trainer.");
        this.spec = spec.map(ModelSpecFile.Loaded::lineage).orElse(null);
        String optimiser = getString(OPTIMISER_CONFIG);
        requireOnlyWith(LEARNING_RATE_SCHEDULE_CONFIG, optimiser, "sgd");
        requireOnlyWith(ADAM_BETA1_CONFIG, optimiser, "adam");
        requireOnlyWith(ADAM_BETA2_CONFIG, optimiser, "adam");
        requireOnlyWith(ADAM_EPSILON_CONFIG, optimiser, "adam");
        String objective = objective();
        boolean regression = regression();
        if (regression != (objective.equals("squared") || objective.equals("huber"))) {
            throw new ConfigException(OBJECTIVE_CONFIG, objective, regression
                ? "is a classification loss; trainer.task=regression takes 'squared' or 'huber'"
                : "is a regression loss; trainer.task=classification takes 'logistic' or 'hinge'");
        }
        if (originals().containsKey(HUBER_DELTA_CONFIG) && !objective.equals("huber")) {
            throw new ConfigException(HUBER_DELTA_CONFIG, originals().get(HUBER_DELTA_CONFIG),
                "applies only with " + OBJECTIVE_CONFIG + "=huber (it is " + objective + ")");
        }
        int every = getInt(PUBLISH_EVERY_EXAMPLES_CONFIG);
        if (originals().containsKey(PUBLISH_MIN_EXAMPLES_CONFIG) && getInt(PUBLISH_MIN_EXAMPLES_CONFIG) > every) {
            throw new ConfigException(PUBLISH_MIN_EXAMPLES_CONFIG, originals().get(PUBLISH_MIN_EXAMPLES_CONFIG),
                "must be at most " + PUBLISH_EVERY_EXAMPLES_CONFIG + " (" + every + "): a version is published "
                    + "after that many examples anyway");
        }
    }

    /**
     * The fewest new examples a version published for the interval covers: as configured, else the default
     * lowered to {@value #PUBLISH_EVERY_EXAMPLES_CONFIG} when that is smaller.
     */
    public int publishMinExamples() {
        return Math.min(getInt(PUBLISH_MIN_EXAMPLES_CONFIG), getInt(PUBLISH_EVERY_EXAMPLES_CONFIG));
    }

    private static Optional<ModelSpecFile.Loaded> loadSpec(Map<String, ?> props) {
        Object file = props.get(SPEC_FILE_CONFIG);
        if (file == null || file.toString().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(ModelSpecFile.load(Path.of(file.toString().trim())));
    }

    /** The spec's values win; a key also given with another value is named in a warning, since it is ignored. */
    private static Map<String, Object> withSpec(Map<String, ?> props, Optional<ModelSpecFile.Loaded> spec) {
        Map<String, Object> merged = new HashMap<>(props);
        spec.ifPresent(loaded -> loaded.keys().forEach((key, value) -> {
            Object given = props.get(key);
            if (given != null && !Objects.equals(parsedOrRaw(key, given), value)) {
                log.warn("Model spec {} sets {} to '{}'; the configured value '{}' is ignored (the spec wins over "
                    + "trainer.* keys).", loaded.lineage().getSource(), key, value, given);
            }
            merged.put(key, value);
        }));
        return merged;
    }

    private static Object parsedOrRaw(String key, Object value) {
        try {
            return ConfigDef.parseType(key, value, CONFIG.configKeys().get(key).type);
        } catch (ConfigException e) {
            return value;
        }
    }

    /** The model spec the settings came from, for lineage; empty when the trainer runs on its keys alone. */
    public Optional<SpecLineage> spec() {
        return Optional.ofNullable(spec);
    }

    /** True when the model predicts a number rather than a label. */
    public boolean regression() {
        return "regression".equals(getString(TASK_CONFIG));
    }

    /** The loss minimised: as configured, but 'squared' for regression when none was configured. */
    public String objective() {
        if (regression() && !originals().containsKey(OBJECTIVE_CONFIG)) {
            return "squared";
        }
        return getString(OBJECTIVE_CONFIG);
    }

    /** A key that only one optimiser reads is refused with another, rather than silently ignored. */
    private void requireOnlyWith(String key, String optimiser, String reader) {
        if (originals().containsKey(key) && !reader.equals(optimiser)) {
            throw new ConfigException(key, originals().get(key), "applies only with " + OPTIMISER_CONFIG + "="
                + reader + " (it is " + optimiser + "); remove it or change the optimiser");
        }
    }

    /** The base learning rate: as configured, else the optimiser's default. */
    public double learningRate() {
        Double configured = getDouble(LEARNING_RATE_CONFIG);
        if (configured != null) {
            return configured;
        }
        return "adam".equals(getString(OPTIMISER_CONFIG)) ? 0.01 : 0.5;
    }

    /** The definition of every key, with types, defaults, validators and documentation. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    /** Unset, or a number within bounds. */
    private static final class OptionalRange implements ConfigDef.Validator {
        private final Range range;

        OptionalRange(double min, double max) {
            this.range = Range.between(min, max);
        }

        @Override
        public void ensureValid(String name, Object value) {
            if (value != null) {
                range.ensureValid(name, value);
            }
        }

        @Override
        public String toString() {
            return "unset, or " + range;
        }
    }

    /** Two or more distinct, non-blank labels. */
    private static final class DistinctLabels implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            @SuppressWarnings("unchecked")
            List<String> labels = (List<String>) value;
            if (labels == null || labels.size() < 2 || labels.stream().anyMatch(String::isBlank)
                    || new HashSet<>(labels).size() != labels.size()) {
                throw new ConfigException(name, value, "expected at least two distinct, non-empty labels, e.g. 0,1");
            }
        }

        @Override
        public String toString() {
            return "at least two distinct, non-empty labels";
        }
    }

    /** The loop's topic and client names under this config's {@code topics.prefix}. */
    public TopicLayout topics() {
        return new TopicLayout(getString(TOPICS_PREFIX_CONFIG));
    }
}
