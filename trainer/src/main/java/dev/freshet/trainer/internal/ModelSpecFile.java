package dev.freshet.trainer.internal;

import static dev.freshet.contracts.DefinitionReader.describe;
import static dev.freshet.contracts.DefinitionReader.kind;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.freshet.contracts.DefinitionProblems;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.proto.registry.v1.SpecLineage;
import dev.freshet.trainer.InvalidModelSpecException;
import dev.freshet.trainer.TrainerConfig;
import dev.freshet.trainer.TrainerException;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Reads a model spec (YAML) and turns it into the {@code trainer.*} keys it sets, after validating every field and
 * collecting every problem with its path. The spec's own identity (name, version, feature view, label field, task,
 * text and digest) becomes the {@link SpecLineage} that each published version carries. Stateless, thread-safe.
 */
public final class ModelSpecFile {
    private static final List<String> TOP_KEYS = List.of("name", "version", "description", "feature_view", "label",
        "task", "labels", "objective", "huber_delta", "optimiser", "l2", "publish", "retrain");
    private static final List<String> FEATURE_VIEW_KEYS = List.of("name", "version");
    private static final List<String> LABEL_KEYS = List.of("field");
    private static final List<String> OPTIMISER_KEYS = List.of("type", "learning_rate", "schedule", "beta1", "beta2",
        "epsilon");
    private static final List<String> PUBLISH_KEYS = List.of("every_examples", "min_examples", "interval", "max_delay");
    private static final List<String> RETRAIN_KEYS = List.of("window_examples", "epochs");
    private static final List<String> TASKS = List.of("binary", "multiclass", "regression");
    private static final List<String> CLASSIFICATION_OBJECTIVES = List.of("logistic", "hinge");
    private static final List<String> REGRESSION_OBJECTIVES = List.of("squared", "huber");

    /** What a spec sets: {@code trainer.*} keys with their values, and the lineage to record. */
    public record Loaded(Map<String, Object> keys, SpecLineage lineage) {
    }

    private final String source;
    private final Map<String, ConfigDef.ConfigKey> definitions = TrainerConfig.configDef().configKeys();
    private final DefinitionProblems problems = new DefinitionProblems();
    private final DefinitionReader reader = new DefinitionReader(problems);
    private final Map<String, Object> keys = new LinkedHashMap<>();

    private ModelSpecFile(String source) {
        this.source = source;
    }

    /**
     * Reads and validates the spec file.
     *
     * @throws InvalidModelSpecException listing every problem, each with its field path
     * @throws TrainerException if the file cannot be read
     */
    public static Loaded load(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new TrainerException("Cannot read the model spec " + path + " (" + TrainerConfig.SPEC_FILE_CONFIG
                + "): " + e.getMessage() + "; check the path.", e);
        }
        return parse(path.toString(), new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * Validates a spec given as text.
     *
     * @param source where the text came from, for messages and lineage
     * @throws InvalidModelSpecException listing every problem, each with its field path
     */
    public static Loaded parse(String source, String text) {
        return new ModelSpecFile(source).read(text);
    }

    private Loaded read(String text) {
        JsonNode root = reader.document(text);
        if (root == null || !reader.isMapping(root, "", "a mapping with name, feature_view, task, ...")) {
            if (root == null && problems.isEmpty()) {
                problems.add("", "expected a mapping with name, feature_view, task, ...; got nothing");
            }
            throw new InvalidModelSpecException(source, problems.list());
        }
        reader.allowOnly(root, "", TOP_KEYS);
        String name = requiredText(root, "name");
        if (name != null) {
            put(TrainerConfig.MODEL_NAME_CONFIG, "name", name);
        }
        int version = positiveInt(root, "version", 1);
        JsonNode view = root.get("feature_view");
        String viewName = null;
        int viewVersion = 0;
        if (view == null || view.isNull()) {
            problems.add("feature_view", "missing; name the feature view the model learns from, e.g. "
                + "{name: transactions, version: 1}");
        } else if (reader.isMapping(view, "feature_view", "a mapping {name, version}")) {
            reader.allowOnly(view, "feature_view", FEATURE_VIEW_KEYS);
            viewName = requiredText(view, "feature_view.name");
            viewVersion = positiveInt(view, "feature_view.version", 0);
            if (viewVersion == 0 && view.get("version") == null) {
                problems.add("feature_view.version", "missing; give the version of the view (its 'version' field)");
            }
        }
        String labelField = "label";
        JsonNode label = root.get("label");
        if (label != null && !label.isNull() && reader.isMapping(label, "label", "a mapping {field: ...}")) {
            reader.allowOnly(label, "label", LABEL_KEYS);
            String field = requiredText(label, "label.field");
            labelField = field == null ? labelField : field;
        }
        String task = task(root);
        labels(root, task);
        objective(root, task);
        optimiser(root);
        number(root.get("l2"), "l2", TrainerConfig.L2_CONFIG);
        publish(root.get("publish"));
        retrain(root.get("retrain"));
        if (!problems.isEmpty()) {
            throw new InvalidModelSpecException(source, problems.list());
        }
        SpecLineage lineage = SpecLineage.newBuilder()
            .setName(name)
            .setVersion(version)
            .setSource(source)
            .setSha256(sha256(text))
            .setText(text)
            .setFeatureView(viewName)
            .setFeatureViewVersion(viewVersion)
            .setLabelField(labelField)
            .setTask(task)
            .build();
        return new Loaded(Map.copyOf(keys), lineage);
    }

    private String task(JsonNode root) {
        JsonNode node = root.get("task");
        if (node == null || node.isNull()) {
            problems.add("task", "missing; expected one of " + TASKS);
            return "";
        }
        if (!node.isTextual() || !TASKS.contains(node.textValue())) {
            problems.add("task", describe(node) + " is not a task; expected one of " + TASKS);
            return "";
        }
        String task = node.textValue();
        put(TrainerConfig.TASK_CONFIG, "task", "regression".equals(task) ? "regression" : "classification");
        return task;
    }

    private void labels(JsonNode root, String task) {
        JsonNode node = root.get("labels");
        if ("regression".equals(task)) {
            if (node != null && !node.isNull()) {
                problems.add("labels", "a regression model predicts a number, not labels; remove labels or use "
                    + "task: binary or multiclass");
            }
            return;
        }
        if (node == null || node.isNull()) {
            if (!task.isEmpty()) {
                problems.add("labels", "missing; list the class labels in id order, e.g. [\"0\", \"1\"]");
            }
            return;
        }
        if (!node.isArray()) {
            problems.add("labels", "expected a list of labels, e.g. [\"0\", \"1\"], got " + kind(node));
            return;
        }
        List<String> labels = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String at = DefinitionReader.element("labels", i);
            if (!item.isValueNode() || item.isNull() || item.asText().isBlank()) {
                problems.add(at, "expected a non-empty label, got " + describe(item));
            } else if (!seen.add(item.asText())) {
                problems.add(at, "'" + item.asText() + "' is listed twice");
            } else {
                labels.add(item.asText());
            }
        }
        if ("binary".equals(task) && node.size() != 2) {
            problems.add("labels", "task binary needs exactly two labels, got " + node.size()
                + (node.size() > 2 ? "; use task: multiclass" : ""));
        } else if ("multiclass".equals(task) && node.size() < 3) {
            problems.add("labels", "task multiclass needs at least three labels, got " + node.size()
                + (node.size() == 2 ? "; use task: binary" : ""));
        }
        keys.put(TrainerConfig.LABELS_CONFIG, labels);
    }

    private void objective(JsonNode root, String task) {
        boolean regression = "regression".equals(task);
        List<String> accepted = regression ? REGRESSION_OBJECTIVES : CLASSIFICATION_OBJECTIVES;
        JsonNode node = root.get("objective");
        String objective = null;
        if (node != null && !node.isNull()) {
            if (!node.isTextual() || !accepted.contains(node.textValue())) {
                problems.add("objective", describe(node) + " is not an objective for task "
                    + (task.isEmpty() ? "?" : task) + "; expected one of " + accepted);
            } else {
                objective = node.textValue();
                put(TrainerConfig.OBJECTIVE_CONFIG, "objective", objective);
            }
        } else if (regression) {
            keys.put(TrainerConfig.OBJECTIVE_CONFIG, "squared");
        } else if (!task.isEmpty()) {
            keys.put(TrainerConfig.OBJECTIVE_CONFIG, "logistic");
        }
        JsonNode delta = root.get("huber_delta");
        if (delta != null && !delta.isNull()) {
            if (!"huber".equals(objective)) {
                problems.add("huber_delta", "applies only with objective: huber");
            } else {
                number(delta, "huber_delta", TrainerConfig.HUBER_DELTA_CONFIG);
            }
        }
    }

    private void optimiser(JsonNode root) {
        JsonNode node = root.get("optimiser");
        if (node == null || node.isNull() || !reader.isMapping(node, "optimiser", "a mapping {type, learning_rate, "
                + "...}")) {
            return;
        }
        reader.allowOnly(node, "optimiser", OPTIMISER_KEYS);
        String type = "adagrad";
        JsonNode typeNode = node.get("type");
        if (typeNode != null && !typeNode.isNull()) {
            if (put(TrainerConfig.OPTIMISER_CONFIG, "optimiser.type", typeNode.asText())) {
                type = typeNode.asText();
            } else {
                type = null;
            }
        }
        number(node.get("learning_rate"), "optimiser.learning_rate", TrainerConfig.LEARNING_RATE_CONFIG);
        onlyWith(node, "schedule", "sgd", type, TrainerConfig.LEARNING_RATE_SCHEDULE_CONFIG);
        onlyWith(node, "beta1", "adam", type, TrainerConfig.ADAM_BETA1_CONFIG);
        onlyWith(node, "beta2", "adam", type, TrainerConfig.ADAM_BETA2_CONFIG);
        onlyWith(node, "epsilon", "adam", type, TrainerConfig.ADAM_EPSILON_CONFIG);
    }

    private void onlyWith(JsonNode optimiser, String field, String optimiserType, String type, String key) {
        JsonNode node = optimiser.get(field);
        if (node == null || node.isNull()) {
            return;
        }
        String path = "optimiser." + field;
        if (type != null && !optimiserType.equals(type)) {
            problems.add(path, "applies only with optimiser.type " + optimiserType + " (it is " + type
                + "); remove it or change the type");
            return;
        }
        if (node.isTextual()) {
            put(key, path, node.textValue());
        } else {
            number(node, path, key);
        }
    }

    private void publish(JsonNode node) {
        if (node == null || node.isNull() || !reader.isMapping(node, "publish", "a mapping {every_examples, "
                + "min_examples, interval, max_delay}")) {
            return;
        }
        reader.allowOnly(node, "publish", PUBLISH_KEYS);
        number(node.get("every_examples"), "publish.every_examples", TrainerConfig.PUBLISH_EVERY_EXAMPLES_CONFIG);
        number(node.get("min_examples"), "publish.min_examples", TrainerConfig.PUBLISH_MIN_EXAMPLES_CONFIG);
        duration(node.get("interval"), "publish.interval", TrainerConfig.PUBLISH_INTERVAL_MS_CONFIG);
        duration(node.get("max_delay"), "publish.max_delay", TrainerConfig.PUBLISH_MAX_DELAY_MS_CONFIG);
    }

    private void duration(JsonNode node, String path, String key) {
        if (node != null && !node.isNull()) {
            Duration duration = reader.durationOrMillis(node, path);
            if (duration != null) {
                put(key, path, duration.toMillis(), describe(node));
            }
        }
    }

    private void retrain(JsonNode node) {
        if (node == null || node.isNull() || !reader.isMapping(node, "retrain", "a mapping {window_examples, "
                + "epochs}")) {
            return;
        }
        reader.allowOnly(node, "retrain", RETRAIN_KEYS);
        number(node.get("window_examples"), "retrain.window_examples", TrainerConfig.RETRAIN_WINDOW_EXAMPLES_CONFIG);
        number(node.get("epochs"), "retrain.epochs", TrainerConfig.RETRAIN_EPOCHS_CONFIG);
    }

    /** A number field, checked by the key's own type and validator so that the spec accepts what the key does. */
    private void number(JsonNode node, String path, String key) {
        if (node == null || node.isNull()) {
            return;
        }
        Object value = reader.configValue(node, path, definitions, key);
        if (value != null) {
            keys.put(key, value);
        }
    }

    /** Parses and validates a value as the key would; records a problem under the spec path if it fails. */
    private boolean put(String key, String path, Object value) {
        return put(key, path, value, String.valueOf(value));
    }

    private boolean put(String key, String path, Object value, String shown) {
        Object parsed = reader.configValue(value, shown, path, definitions, key);
        if (parsed != null) {
            keys.put(key, parsed);
        }
        return parsed != null;
    }

    private String requiredText(JsonNode parent, String path) {
        String field = path.substring(path.lastIndexOf('.') + 1);
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            problems.add(path, "missing");
            return null;
        }
        if (!node.isValueNode() || node.asText().isBlank()) {
            problems.add(path, "expected a non-empty name, got " + describe(node));
            return null;
        }
        return node.asText();
    }

    private int positiveInt(JsonNode parent, String path, int absent) {
        String field = path.substring(path.lastIndexOf('.') + 1);
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            return absent;
        }
        if (!node.canConvertToInt() || !node.isIntegralNumber() || node.intValue() < 1) {
            problems.add(path, describe(node) + " is not a version; expected a whole number from 1");
            return absent;
        }
        return node.intValue();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
