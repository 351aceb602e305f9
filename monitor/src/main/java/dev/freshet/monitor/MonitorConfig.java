package dev.freshet.monitor;

import java.util.Map;

import dev.freshet.contracts.CommonConfig;
import dev.freshet.contracts.ConfigKeys;
import dev.freshet.contracts.ConfigValues;
import dev.freshet.contracts.HttpSecurity;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.monitor.internal.PinnedRange;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Configuration of the monitor. Every key is typed, validated, defaulted and documented here; constructing an
 * instance with an invalid value throws {@link org.apache.kafka.common.config.ConfigException} naming the key,
 * the value and what is accepted.
 *
 * <p>The defaults fit the demo: a few hundred labelled examples per second, a new model version about every
 * second, a run of about a minute.
 */
public final class MonitorConfig extends AbstractConfig {
    /** Shared key ({@link CommonConfig}): the Kafka cluster. Required. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = CommonConfig.BOOTSTRAP_SERVERS_CONFIG;

    /** Shared key ({@link CommonConfig}): the prefix of every topic name. */
    public static final String TOPICS_PREFIX_CONFIG = CommonConfig.TOPICS_PREFIX_CONFIG;
    public static final String TOPICS_PREFIX_DEFAULT = CommonConfig.TOPICS_PREFIX_DEFAULT;

    public static final String MODEL_NAME_CONFIG = "monitor.model.name";
    public static final String MODEL_NAME_DEFAULT = "default";
    private static final String MODEL_NAME_DOC =
        "Name of the model to watch; records of other models are counted and ignored.";

    public static final String ROLLBACK_MIN_SAMPLES_CONFIG = "monitor.rollback.min.samples";
    public static final int ROLLBACK_MIN_SAMPLES_DEFAULT = 50;
    private static final String ROLLBACK_MIN_SAMPLES_DOC =
        "Labelled predictions a version must have before the monitor compares its accuracy with its parent's; a parent that served fewer is pooled with its nearest ancestors up to this many.";

    public static final String ROLLBACK_MARGIN_CONFIG = "monitor.rollback.margin";
    public static final double ROLLBACK_MARGIN_DEFAULT = 0.10;
    private static final String ROLLBACK_MARGIN_DOC =
        "A version is rolled back only when its accuracy is more than this much below its parent's "
        + "(absolute difference, 0.10 = ten percentage points).";

    public static final String ROLLBACK_Z_CONFIG = "monitor.rollback.z";
    public static final double ROLLBACK_Z_DEFAULT = 4.0;
    private static final String ROLLBACK_Z_DOC =
        "A version is rolled back only when a two-proportion z-test of its accuracy against its parent's "
        + "gives z above this (4.0: about one false alarm in 30,000 comparisons of equally good versions; with a "
        + "version every second, 3.0 rolled back a sound version in one of three demo runs).";

    public static final String ROLLBACK_INPUT_SHIFT_GUARD_CONFIG = "monitor.rollback.input.shift.guard";
    public static final boolean ROLLBACK_INPUT_SHIFT_GUARD_DEFAULT = true;
    private static final String ROLLBACK_INPUT_SHIFT_GUARD_DOC =
        "When true, a version is not rolled back if the inputs it scored differ from those its parent scored "
        + "(PSI of a numeric feature over monitor.drift.psi.threshold plus the PSI expected by chance at those "
        + "sample sizes): the accuracy drop is then the data's doing, not the version's, and the drift policy "
        + "answers it with RETRAIN. Without it, a concept drift rolls back every new version in turn.";

    public static final String DRIFT_REFERENCE_EXAMPLES_CONFIG = "monitor.drift.reference.examples";
    public static final int DRIFT_REFERENCE_EXAMPLES_DEFAULT = 1000;
    private static final String DRIFT_REFERENCE_EXAMPLES_DOC =
        "Size of the drift reference window: the first this-many training examples after start, or after the "
        + "last RETRAIN for feature drift or by someone else (a retrain for an error-rate change or the accuracy "
        + "floor keeps the reference, so that the drifted feature is still found).";

    public static final String DRIFT_WINDOW_EXAMPLES_CONFIG = "monitor.drift.window.examples";
    public static final int DRIFT_WINDOW_EXAMPLES_DEFAULT = 1000;
    private static final String DRIFT_WINDOW_EXAMPLES_DOC =
        "Size of the current drift window: the most recent this-many training examples, compared with the "
        + "reference once that many have arrived after it.";

    public static final String DRIFT_CHECK_EVERY_EXAMPLES_CONFIG = "monitor.drift.check.every.examples";
    public static final int DRIFT_CHECK_EVERY_EXAMPLES_DEFAULT = 250;
    private static final String DRIFT_CHECK_EVERY_EXAMPLES_DOC =
        "How often, in training examples, the current window is compared with the reference.";

    public static final String DRIFT_PSI_THRESHOLD_CONFIG = "monitor.drift.psi.threshold";
    public static final double DRIFT_PSI_THRESHOLD_DEFAULT = 0.25;
    private static final String DRIFT_PSI_THRESHOLD_DOC =
        "Population stability index (10 quantile bins of the reference) above which a numeric feature has "
        + "drifted; 0.1 is the customary 'watch' level, 0.25 'act'.";

    public static final String RETRAIN_COOLDOWN_MS_CONFIG = "monitor.retrain.cooldown.ms";
    public static final long RETRAIN_COOLDOWN_MS_DEFAULT = 30_000L;
    private static final String RETRAIN_COOLDOWN_MS_DOC =
        "Minimum time between two RETRAIN commands for the model (counting those issued by others); drift "
        + "detected sooner is reported and the retrain deferred until the cooldown ends.";

    public static final String ACCURACY_WINDOW_EXAMPLES_CONFIG = "monitor.accuracy.window.examples";
    public static final int ACCURACY_WINDOW_EXAMPLES_DEFAULT = 500;
    private static final String ACCURACY_WINDOW_EXAMPLES_DOC =
        "Number of most recent labelled predictions the rolling accuracy is computed over.";

    public static final String POSITIVE_LABEL_CONFIG = "monitor.positive.label";
    public static final String POSITIVE_LABEL_DEFAULT = "1";
    private static final String POSITIVE_LABEL_DOC =
        "The label whose predicted probability is the model's score: log loss, AUC, calibration and score drift "
        + "use class_probabilities[this].";

    public static final String REPORT_WINDOW_MS_CONFIG = "monitor.report.window.ms";
    public static final long REPORT_WINDOW_MS_DEFAULT = 10_000L;
    private static final String REPORT_WINDOW_MS_DOC =
        "Width of the time windows (by prediction time) over which accuracy, log loss and AUC are reported per "
        + "version.";

    public static final String HTTP_PORT_CONFIG = "monitor.http.port";
    public static final String HTTP_BIND_ADDRESS_CONFIG = "monitor.http.bind.address";
    public static final int HTTP_PORT_DEFAULT = -1;
    private static final String HTTP_PORT_DOC =
        "Port of the live report over HTTP (/ the HTML page, /report.json, /metrics for Prometheus), on "
        + "monitor.http.bind.address; -1 disables it, 0 picks a free port (logged at startup). HTTPS and a token "
        + "with monitor.http.tls.* and monitor.http.token[.file].";
    /**
     * Prefix of the live report's HTTPS and token keys ({@link HttpSecurity}): {@code tls.cert.file},
     * {@code tls.key.file}, {@code token}, {@code token.file}.
     */
    public static final String HTTP_SECURITY_PREFIX = "monitor.http.";

    public static final String DRIFT_REFERENCE_PINNED_CONFIG = "monitor.drift.reference.pinned";
    private static final String DRIFT_REFERENCE_PINNED_DOC =
        "A pinned drift baseline, FROM/TO as ISO-8601 instants (e.g. 2026-11-02T00:00:00Z/2026-11-09T00:00:00Z): the "
        + "training examples predicted in that range are the reference for every drift comparison, read from the "
        + "training-examples topic at startup (so they must still be retained) and never replaced by a retrain. "
        + "Empty: the reference is the first monitor.drift.reference.examples examples after start, renewed after "
        + "a retrain for feature drift.";

    public static final String CHANGE_DETECTOR_CONFIG = "monitor.change.detector";
    public static final String CHANGE_DETECTOR_DEFAULT = "page-hinkley";
    private static final String CHANGE_DETECTOR_DOC =
        "Change detector on the error stream (1 wrong, 0 right per labelled prediction) for abrupt concept drift: "
        + "page-hinkley (delta 0.005, lambda 50), adwin (delta 0.002) or none. An alarm orders a RETRAIN (within "
        + "the cooldown) unless a ROLLBACK follows within 100 labelled predictions; tune it in monitor.policy.file.";

    public static final String RETRAIN_ACCURACY_BELOW_CONFIG = "monitor.retrain.accuracy.below";
    private static final String RETRAIN_ACCURACY_BELOW_DOC =
        "Order a RETRAIN when the rolling accuracy over a full monitor.accuracy.window.examples window falls below "
        + "this (within the cooldown; again only after a whole new window); 0 turns it off.";

    public static final String POLICY_FILE_CONFIG = "monitor.policy.file";
    private static final String POLICY_FILE_DOC =
        "A YAML file declaring the retrain and rollback policies (retrain: cooldown, drift, error_change; rollback: "
        + "min_samples, margin, z, input_shift_guard); what it sets wins over the monitor.* keys. Empty: the keys "
        + "alone. Validated at start; see the README for the format.";

    private static final ConfigDef CONFIG_DEF = HttpSecurity.define(CommonConfig.defineBindAddress(
            CommonConfig.defineShared(new ConfigDef(), true), HTTP_BIND_ADDRESS_CONFIG,
            "the live report and its metrics (monitor.http.port)"),
            HTTP_SECURITY_PREFIX, "the live report (monitor.http.port)")
        .define(MODEL_NAME_CONFIG, Type.STRING, MODEL_NAME_DEFAULT, new ConfigDef.NonEmptyStringWithoutControlChars(),
            Importance.HIGH, MODEL_NAME_DOC)
        .define(ROLLBACK_MIN_SAMPLES_CONFIG, Type.INT, ROLLBACK_MIN_SAMPLES_DEFAULT, Range.atLeast(1),
            Importance.MEDIUM, ROLLBACK_MIN_SAMPLES_DOC)
        .define(ROLLBACK_MARGIN_CONFIG, Type.DOUBLE, ROLLBACK_MARGIN_DEFAULT, Range.between(0.0, 1.0),
            Importance.MEDIUM, ROLLBACK_MARGIN_DOC)
        .define(ROLLBACK_Z_CONFIG, Type.DOUBLE, ROLLBACK_Z_DEFAULT, Range.atLeast(0.0),
            Importance.MEDIUM, ROLLBACK_Z_DOC)
        .define(ROLLBACK_INPUT_SHIFT_GUARD_CONFIG, Type.BOOLEAN, ROLLBACK_INPUT_SHIFT_GUARD_DEFAULT,
            Importance.LOW, ROLLBACK_INPUT_SHIFT_GUARD_DOC)
        .define(DRIFT_REFERENCE_EXAMPLES_CONFIG, Type.INT, DRIFT_REFERENCE_EXAMPLES_DEFAULT, Range.atLeast(10),
            Importance.MEDIUM, DRIFT_REFERENCE_EXAMPLES_DOC)
        .define(DRIFT_WINDOW_EXAMPLES_CONFIG, Type.INT, DRIFT_WINDOW_EXAMPLES_DEFAULT, Range.atLeast(10),
            Importance.MEDIUM, DRIFT_WINDOW_EXAMPLES_DOC)
        .define(DRIFT_CHECK_EVERY_EXAMPLES_CONFIG, Type.INT, DRIFT_CHECK_EVERY_EXAMPLES_DEFAULT, Range.atLeast(1),
            Importance.LOW, DRIFT_CHECK_EVERY_EXAMPLES_DOC)
        .define(DRIFT_PSI_THRESHOLD_CONFIG, Type.DOUBLE, DRIFT_PSI_THRESHOLD_DEFAULT, Range.atLeast(0.0),
            Importance.MEDIUM, DRIFT_PSI_THRESHOLD_DOC)
        .define(RETRAIN_COOLDOWN_MS_CONFIG, Type.LONG, RETRAIN_COOLDOWN_MS_DEFAULT, Range.atLeast(0),
            Importance.MEDIUM, RETRAIN_COOLDOWN_MS_DOC)
        .define(ACCURACY_WINDOW_EXAMPLES_CONFIG, Type.INT, ACCURACY_WINDOW_EXAMPLES_DEFAULT, Range.atLeast(1),
            Importance.LOW, ACCURACY_WINDOW_EXAMPLES_DOC)
        .define(POSITIVE_LABEL_CONFIG, Type.STRING, POSITIVE_LABEL_DEFAULT, new ConfigDef.NonEmptyString(),
            Importance.LOW, POSITIVE_LABEL_DOC)
        .define(REPORT_WINDOW_MS_CONFIG, Type.LONG, REPORT_WINDOW_MS_DEFAULT, Range.atLeast(1),
            Importance.LOW, REPORT_WINDOW_MS_DOC)
        .define(CHANGE_DETECTOR_CONFIG, Type.STRING, CHANGE_DETECTOR_DEFAULT,
            ConfigDef.ValidString.in("page-hinkley", "adwin", "none"), Importance.MEDIUM, CHANGE_DETECTOR_DOC)
        .define(RETRAIN_ACCURACY_BELOW_CONFIG, Type.DOUBLE, 0.0, Range.between(0.0, 1.0), Importance.MEDIUM,
            RETRAIN_ACCURACY_BELOW_DOC)
        .define(POLICY_FILE_CONFIG, Type.STRING, "", Importance.MEDIUM, POLICY_FILE_DOC)
        .define(DRIFT_REFERENCE_PINNED_CONFIG, Type.STRING, "", (name, value) -> PinnedRange.parse(name, (String) value),
            Importance.MEDIUM, DRIFT_REFERENCE_PINNED_DOC)
        .define(HTTP_PORT_CONFIG, Type.INT, HTTP_PORT_DEFAULT, Range.between(-1, 65_535),
            Importance.MEDIUM, HTTP_PORT_DOC);

    /**
     * Parses and validates {@code props}.
     *
     * @throws org.apache.kafka.common.config.ConfigException if a key is missing or has an invalid value
     */
    public MonitorConfig(Map<String, ?> props) {
        super(CONFIG_DEF, ConfigValues.resolve(props));
        ConfigKeys.requireKnownIn(props, CONFIG_DEF, "monitor.");
    }

    /** The definition of every key, for documentation ({@code freshet config docs}). */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG_DEF);
    }

    /** The loop's topic and client names under this config's {@code topics.prefix}. */
    public TopicLayout topics() {
        return new TopicLayout(getString(TOPICS_PREFIX_CONFIG));
    }
}
