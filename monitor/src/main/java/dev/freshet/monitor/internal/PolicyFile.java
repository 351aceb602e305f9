package dev.freshet.monitor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.freshet.contracts.DefinitionProblems;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.contracts.InvalidDefinitionException;
import dev.freshet.monitor.MonitorConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The monitor's policies declared in YAML ({@code monitor.policy.file}); what the file sets wins over the config
 * keys, what it leaves out keeps theirs. A value that sets a {@code monitor.*} key is checked by that key's own
 * type and validator, so the file accepts exactly what the key does; every problem is reported at once, each with
 * its path and what is accepted:
 *
 * <pre>
 * retrain:
 *   cooldown: 30s                 # at most one RETRAIN per this long (ms, or 500ms / 30s / 5m / 1h / 1d)
 *   accuracy_below: 0.7           # also retrain when the rolling accuracy (full window) falls below; 0: off
 *   drift:                        # feature drift: PSI of a numeric feature, current window against reference
 *     psi_threshold: 0.25
 *     reference_examples: 1000
 *     window_examples: 1000
 *     check_every_examples: 250
 *   error_change:                 # abrupt concept drift: change detection on the error stream
 *     detector: page-hinkley      # page-hinkley | adwin | none
 *     delta: 0.005                # Page-Hinkley: rise tolerated as noise; ADWIN: confidence (default 0.002)
 *     lambda: 50                  # Page-Hinkley only: evidence needed for an alarm
 *     min_examples: 30
 *     settle_examples: 100        # labelled predictions the rollback policy gets first after an alarm
 * rollback:                       # a version significantly worse than its parent
 *   min_samples: 50
 *   margin: 0.10
 *   z: 4.0
 *   input_shift_guard: true
 * </pre>
 */
final class PolicyFile {
    private static final Map<String, List<String>> FIELDS = Map.of(
        "", List.of("retrain", "rollback"),
        "retrain", List.of("accuracy_below", "cooldown", "drift", "error_change"),
        "retrain.drift", List.of("check_every_examples", "psi_threshold", "reference_examples", "window_examples"),
        "retrain.error_change", List.of("delta", "detector", "lambda", "min_examples", "settle_examples"),
        "rollback", List.of("input_shift_guard", "margin", "min_samples", "z"));
    private static final Map<String, ConfigDef.ConfigKey> KEYS = MonitorConfig.configDef().configKeys();
    // The detector's own settings have no monitor.* key: they are tuned in this file only, and bounded here.
    // ADWIN's delta is a confidence, Page-Hinkley's a magnitude.
    private static final String ADWIN_DELTA = "adwin.delta";
    private static final String PAGE_HINKLEY_DELTA = "page-hinkley.delta";
    private static final Map<String, ConfigDef.ConfigKey> DETECTOR_KEYS = new ConfigDef()
        .define(ADWIN_DELTA, Type.DOUBLE, 0.002, Range.between(1e-12, 1.0), Importance.LOW, "ADWIN's confidence.")
        .define(PAGE_HINKLEY_DELTA, Type.DOUBLE, 0.005, Range.between(1e-12, 1e6), Importance.LOW,
            "Page-Hinkley's rise tolerated as noise.")
        .define("lambda", Type.DOUBLE, 50.0, Range.between(1e-9, 1e9), Importance.LOW,
            "Page-Hinkley's evidence needed for an alarm.")
        .define("min_examples", Type.INT, 30, Range.atLeast(1), Importance.LOW, "Values before the first alarm.")
        .define("settle_examples", Type.INT, 100, Range.atLeast(0), Importance.LOW,
            "Labelled predictions the rollback policy gets first after an alarm.")
        .configKeys();

    private final JsonNode root;
    private final DefinitionReader reader;

    private PolicyFile(JsonNode root, DefinitionReader reader) {
        this.root = root;
        this.reader = reader;
    }

    /**
     * The settings with what {@code file} declares applied over {@code base}.
     *
     * @throws InvalidDefinitionException listing every problem of the file, each with its path
     * @throws ConfigException naming {@code monitor.policy.file} when the file cannot be read
     */
    static MonitorSettings apply(Path file, MonitorSettings base) {
        DefinitionProblems problems = new DefinitionProblems();
        DefinitionReader reader = new DefinitionReader(problems);
        JsonNode root = reader.document(read(file));
        if (root == null && problems.isEmpty()) {
            return base;
        }
        MonitorSettings settings = base;
        if (root != null) {
            PolicyFile policy = new PolicyFile(root, reader);
            policy.checkFields("", root);
            settings = policy.settings(base);
        }
        if (!problems.isEmpty()) {
            throw new InvalidDefinitionException("Policy file", file + " (" + MonitorConfig.POLICY_FILE_CONFIG + ")",
                problems.list());
        }
        return settings;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw fail(file, "the file does not exist");
        } catch (IOException e) {
            throw fail(file, "it cannot be read: " + e.getMessage());
        }
    }

    private MonitorSettings settings(MonitorSettings b) {
        MonitorSettings.ChangePolicy c = b.change();
        String detector = detector();
        if (detector != null && !detector.equals(c.detector())) {
            c = MonitorSettings.ChangePolicy.defaults(detector).withAccuracyBelow(c.accuracyBelow());
        }
        String delta = c.detector().equals(MonitorSettings.ChangePolicy.ADWIN) ? ADWIN_DELTA : PAGE_HINKLEY_DELTA;
        c = new MonitorSettings.ChangePolicy(c.detector(),
            value("retrain.error_change.delta", DETECTOR_KEYS, delta, c.delta()),
            value("retrain.error_change.lambda", DETECTOR_KEYS, "lambda", c.lambda()),
            value("retrain.error_change.min_examples", DETECTOR_KEYS, "min_examples", c.minExamples()),
            value("retrain.error_change.settle_examples", DETECTOR_KEYS, "settle_examples", c.settleExamples()),
            value("retrain.accuracy_below", KEYS, MonitorConfig.RETRAIN_ACCURACY_BELOW_CONFIG, c.accuracyBelow()));
        return new MonitorSettings(b.model(),
            value("rollback.min_samples", KEYS, MonitorConfig.ROLLBACK_MIN_SAMPLES_CONFIG, b.rollbackMinSamples()),
            value("rollback.margin", KEYS, MonitorConfig.ROLLBACK_MARGIN_CONFIG, b.rollbackMargin()),
            value("rollback.z", KEYS, MonitorConfig.ROLLBACK_Z_CONFIG, b.rollbackZ()),
            value("rollback.input_shift_guard", KEYS, MonitorConfig.ROLLBACK_INPUT_SHIFT_GUARD_CONFIG,
                b.rollbackInputShiftGuard()),
            value("retrain.drift.reference_examples", KEYS, MonitorConfig.DRIFT_REFERENCE_EXAMPLES_CONFIG,
                b.driftReferenceExamples()),
            value("retrain.drift.window_examples", KEYS, MonitorConfig.DRIFT_WINDOW_EXAMPLES_CONFIG,
                b.driftWindowExamples()),
            value("retrain.drift.check_every_examples", KEYS, MonitorConfig.DRIFT_CHECK_EVERY_EXAMPLES_CONFIG,
                b.driftCheckEveryExamples()),
            value("retrain.drift.psi_threshold", KEYS, MonitorConfig.DRIFT_PSI_THRESHOLD_CONFIG,
                b.driftPsiThreshold()),
            cooldownMs(b.retrainCooldownMs()),
            b.accuracyWindowExamples(), b.positiveLabel(), b.reportWindowMs(), b.acting(), c);
    }

    /** Every mapping of the file holds only the fields it may, the nearest one named for any other. */
    private void checkFields(String path, JsonNode node) {
        if (!reader.isMapping(node, path, "a mapping of " + String.join(", ", FIELDS.get(path)))) {
            return;
        }
        reader.allowOnly(node, path, FIELDS.get(path));
        for (String field : FIELDS.get(path)) {
            String child = DefinitionReader.child(path, field);
            if (FIELDS.containsKey(child) && node.hasNonNull(field)) {
                checkFields(child, node.get(field));
            }
        }
    }

    private JsonNode at(String path) {
        JsonNode node = root;
        for (String part : path.split("\\.")) {
            node = node == null || !node.isObject() ? null : node.get(part);
        }
        return node == null || node.isNull() ? null : node;
    }

    /** The value at {@code path}, checked by {@code key}'s type and validator; {@code fallback} if absent or bad. */
    @SuppressWarnings("unchecked")
    private <T> T value(String path, Map<String, ConfigDef.ConfigKey> keys, String key, T fallback) {
        JsonNode node = at(path);
        Object value = node == null ? null : reader.configValue(node, path, keys, key);
        return value == null ? fallback : (T) value;
    }

    /** The detector, named in any case, checked by {@code monitor.change.detector}'s validator; null if absent. */
    private String detector() {
        String path = "retrain.error_change.detector";
        JsonNode node = at(path);
        if (node == null) {
            return null;
        }
        Object value = node.isTextual()
            ? reader.configValue(node.textValue().toLowerCase(Locale.ROOT), DefinitionReader.describe(node), path,
                KEYS, MonitorConfig.CHANGE_DETECTOR_CONFIG)
            : reader.configValue(node, path, KEYS, MonitorConfig.CHANGE_DETECTOR_CONFIG);
        return (String) value;
    }

    private long cooldownMs(long fallbackMs) {
        String path = "retrain.cooldown";
        JsonNode node = at(path);
        Duration cooldown = node == null ? null : reader.durationOrMillis(node, path);
        Object ms = cooldown == null ? null : reader.configValue(cooldown.toMillis(), DefinitionReader.describe(node),
            path, KEYS, MonitorConfig.RETRAIN_COOLDOWN_MS_CONFIG);
        return ms == null ? fallbackMs : (Long) ms;
    }

    private static ConfigException fail(Path file, String problem) {
        return new ConfigException(MonitorConfig.POLICY_FILE_CONFIG, file.toString(), "policy file " + problem);
    }
}
