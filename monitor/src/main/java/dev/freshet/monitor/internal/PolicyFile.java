package dev.freshet.monitor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.freshet.monitor.MonitorConfig;
import org.apache.kafka.common.config.ConfigException;

/**
 * The monitor's policies declared in YAML ({@code monitor.policy.file}); what the file sets wins over the config
 * keys, what it leaves out keeps theirs. Every problem is reported with the key's path and what is accepted:
 *
 * <pre>
 * retrain:
 *   cooldown: 30s                 # at most one RETRAIN per this long (ms, or 500ms / 30s / 5m / 1h)
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
    private static final Map<String, Set<String>> KEYS = Map.of(
        "", Set.of("retrain", "rollback"),
        "retrain", Set.of("cooldown", "drift", "error_change", "accuracy_below"),
        "retrain.drift", Set.of("psi_threshold", "reference_examples", "window_examples", "check_every_examples"),
        "retrain.error_change", Set.of("detector", "delta", "lambda", "min_examples", "settle_examples"),
        "rollback", Set.of("min_samples", "margin", "z", "input_shift_guard"));

    private final Path file;
    private final JsonNode root;

    private PolicyFile(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /** The settings with what {@code file} declares applied over {@code base}. */
    static MonitorSettings apply(Path file, MonitorSettings base) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw fail(file, "the file does not exist");
        } catch (JsonProcessingException e) {
            throw fail(file, "not valid YAML at line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw fail(file, "it cannot be read: " + e.getMessage());
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            return base;
        }
        PolicyFile policy = new PolicyFile(file, root);
        policy.checkKeys("", root);
        return policy.settings(base);
    }

    private MonitorSettings settings(MonitorSettings b) {
        MonitorSettings.ChangePolicy c = b.change();
        String detector = text("retrain.error_change.detector", null);
        if (detector != null) {
            detector = detector.toLowerCase(Locale.ROOT);
            if (!List.of(MonitorSettings.ChangePolicy.PAGE_HINKLEY, MonitorSettings.ChangePolicy.ADWIN,
                    MonitorSettings.ChangePolicy.NONE).contains(detector)) {
                throw fail(file, "retrain.error_change.detector: '" + detector
                    + "' is not one of page-hinkley, adwin, none");
            }
            if (!detector.equals(c.detector())) {
                c = MonitorSettings.ChangePolicy.defaults(detector).withAccuracyBelow(c.accuracyBelow());
            }
        }
        // ADWIN's delta is a confidence, Page-Hinkley's a magnitude.
        double maxDelta = c.detector().equals(MonitorSettings.ChangePolicy.ADWIN) ? 1 : 1e6;
        c = new MonitorSettings.ChangePolicy(c.detector(),
            number("retrain.error_change.delta", c.delta(), 1e-12, maxDelta),
            number("retrain.error_change.lambda", c.lambda(), 1e-9, 1e9),
            integer("retrain.error_change.min_examples", c.minExamples(), 1),
            integer("retrain.error_change.settle_examples", c.settleExamples(), 0),
            number("retrain.accuracy_below", c.accuracyBelow(), 0, 1));
        return new MonitorSettings(b.model(),
            integer("rollback.min_samples", b.rollbackMinSamples(), 1),
            number("rollback.margin", b.rollbackMargin(), 0, 1),
            number("rollback.z", b.rollbackZ(), 0, 1e6),
            bool("rollback.input_shift_guard", b.rollbackInputShiftGuard()),
            integer("retrain.drift.reference_examples", b.driftReferenceExamples(), 10),
            integer("retrain.drift.window_examples", b.driftWindowExamples(), 10),
            integer("retrain.drift.check_every_examples", b.driftCheckEveryExamples(), 1),
            number("retrain.drift.psi_threshold", b.driftPsiThreshold(), 0, 1e6),
            duration("retrain.cooldown", b.retrainCooldownMs()),
            b.accuracyWindowExamples(), b.positiveLabel(), b.reportWindowMs(), b.acting(), c);
    }

    private void checkKeys(String path, JsonNode node) {
        if (!node.isObject()) {
            throw fail(file, (path.isEmpty() ? "the file" : path) + ": expected a mapping of keys, got "
                + describe(node));
        }
        Set<String> known = KEYS.get(path);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            String child = path.isEmpty() ? key : path + "." + key;
            if (!known.contains(key)) {
                throw fail(file, child + ": unknown key; expected one of " + new TreeSet<>(known));
            }
            if (KEYS.containsKey(child)) {
                checkKeys(child, node.get(key));
            }
        }
    }

    private JsonNode at(String path) {
        JsonNode node = root;
        for (String part : path.split("\\.")) {
            node = node == null ? null : node.get(part);
        }
        return node == null || node.isNull() ? null : node;
    }

    private String text(String path, String fallback) {
        JsonNode n = at(path);
        if (n == null) {
            return fallback;
        }
        if (!n.isTextual()) {
            throw fail(file, path + ": expected text, got " + describe(n));
        }
        return n.asText();
    }

    private double number(String path, double fallback, double min, double max) {
        JsonNode n = at(path);
        if (n == null) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw fail(file, path + ": expected a number, got " + describe(n));
        }
        double v = n.asDouble();
        if (v < min || v > max) {
            throw fail(file, path + ": " + n.asText() + " is out of range; accepted: " + min + " to " + max);
        }
        return v;
    }

    private int integer(String path, int fallback, int min) {
        JsonNode n = at(path);
        if (n == null) {
            return fallback;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw fail(file, path + ": expected a whole number, got " + describe(n));
        }
        if (n.asInt() < min) {
            throw fail(file, path + ": " + n.asInt() + " is too small; accepted: at least " + min);
        }
        return n.asInt();
    }

    private boolean bool(String path, boolean fallback) {
        JsonNode n = at(path);
        if (n == null) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw fail(file, path + ": expected true or false, got " + describe(n));
        }
        return n.asBoolean();
    }

    private long duration(String path, long fallbackMs) {
        JsonNode n = at(path);
        if (n == null) {
            return fallbackMs;
        }
        if (n.isIntegralNumber() && n.asLong() >= 0) {
            return n.asLong();
        }
        String v = n.asText().trim().toLowerCase(Locale.ROOT);
        List<String[]> units = new ArrayList<>(List.of(new String[] {"ms", "1"}, new String[] {"s", "1000"},
            new String[] {"m", "60000"}, new String[] {"h", "3600000"}));
        for (String[] unit : units) {
            if (v.endsWith(unit[0])) {
                try {
                    long amount = Long.parseLong(v.substring(0, v.length() - unit[0].length()).trim());
                    if (amount >= 0) {
                        return amount * Long.parseLong(unit[1]);
                    }
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        throw fail(file, path + ": '" + n.asText() + "' is not a duration; use milliseconds or e.g. 500ms, 30s, 5m, 1h");
    }

    private static String describe(JsonNode n) {
        if (n.isObject()) {
            return "a mapping";
        }
        if (n.isArray()) {
            return "a list";
        }
        return (n.isTextual() ? "'" + n.asText() + "'" : n.asText()) + " (" + n.getNodeType().name().toLowerCase(Locale.ROOT) + ")";
    }

    private static ConfigException fail(Path file, String problem) {
        return new ConfigException(MonitorConfig.POLICY_FILE_CONFIG, file.toString(), "policy file " + problem);
    }
}
