package dev.freshet.featurestore.internal.view;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.InvalidFeatureViewException;

/**
 * Reads a feature view from YAML and validates it, collecting every problem with its path before refusing it.
 * Stateless and thread-safe.
 */
public final class FeatureViewParser {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> VIEW_KEYS =
        Set.of("name", "version", "description", "entity", "event_time", "grace", "fields", "aggregations");
    private static final Set<String> FIELD_KEYS = Set.of("name", "path", "type", "optional");
    private static final Set<String> AGGREGATION_KEYS = Set.of("name", "function", "field", "window");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]*");
    private static final String DURATION_HINT = "use e.g. 30s, 10m, 1h";

    private FeatureViewParser() {
    }

    /**
     * Reads and validates the view in a YAML file.
     *
     * @throws InvalidFeatureViewException naming the file, each offending path and the reason
     * @throws FeatureStoreException when the file cannot be read
     */
    public static FeatureView parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new FeatureStoreException("Cannot read the feature view file " + file + " (" + e
                + "); set featurestore.view.file to a readable YAML file.", e);
        }
        return parse(text, file.toString());
    }

    /**
     * Reads and validates a view from YAML text.
     *
     * @param source named in the exception's message (e.g. the file), or null
     * @throws InvalidFeatureViewException listing each offending path and the reason
     */
    public static FeatureView parse(String yaml, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new InvalidFeatureViewException(source,
                List.of("(document): not valid YAML: " + e.getOriginalMessage()));
        }
        List<String> problems = new ArrayList<>();
        FeatureView view = null;
        if (root == null || !root.isObject()) {
            problems.add("(document): expected a mapping with name, entity, event_time, fields and aggregations");
        } else {
            view = new Reader(problems).view(root);
        }
        if (!problems.isEmpty()) {
            throw new InvalidFeatureViewException(source, problems);
        }
        return view;
    }

    /** Walks one document, adding a problem per mistake; the values it returns are meaningless if any. */
    private static final class Reader {
        private final List<String> problems;

        Reader(List<String> problems) {
            this.problems = problems;
        }

        FeatureView view(JsonNode root) {
            unknownKeys(root, "", VIEW_KEYS);
            String name = name(root, "name", "");
            int version = 1;
            JsonNode versionNode = root.get("version");
            if (versionNode != null && !versionNode.isNull()) {
                if (!versionNode.canConvertToInt() || !versionNode.isIntegralNumber() || versionNode.intValue() < 1) {
                    problem("version", "'" + versionNode.asText() + "' is not a positive whole number");
                } else {
                    version = versionNode.intValue();
                }
            }
            String entity = path(root, "entity");
            String eventTime = path(root, "event_time");
            Duration grace = Duration.ZERO;
            if (root.hasNonNull("grace")) {
                grace = duration(root.get("grace"), "grace", true);
            }
            List<Field> fields = fields(root.get("fields"));
            List<Aggregation> aggregations = aggregations(root.get("aggregations"), fields);
            checkUniqueNames(fields, aggregations);
            if (!problems.isEmpty()) {
                return null;
            }
            return new FeatureView(name, version, entity, eventTime, grace, fields, aggregations);
        }

        private List<Field> fields(JsonNode node) {
            List<Field> fields = new ArrayList<>();
            if (node == null || node.isNull()) {
                return fields;
            }
            if (!node.isArray()) {
                problem("fields", "expected a list of {name, type} entries");
                return fields;
            }
            for (int i = 0; i < node.size(); i++) {
                String at = "fields[" + i + "]";
                JsonNode entry = node.get(i);
                if (!entry.isObject()) {
                    problem(at, "expected a mapping such as {name: amount, type: number}");
                    continue;
                }
                unknownKeys(entry, at + ".", FIELD_KEYS);
                String name = name(entry, "name", at + ".");
                String path = entry.hasNonNull("path") ? text(entry.get("path"), at + ".path") : name;
                FieldType type = enumValue(entry, "type", at + ".", FieldType.class, "number, string, boolean");
                boolean optional = false;
                if (entry.has("optional")) {
                    if (!entry.get("optional").isBoolean()) {
                        problem(at + ".optional", "'" + entry.get("optional").asText() + "' is not true or false");
                    } else {
                        optional = entry.get("optional").booleanValue();
                    }
                }
                if (name != null && path != null && type != null) {
                    fields.add(new Field(name, path, type, optional));
                }
            }
            return fields;
        }

        private List<Aggregation> aggregations(JsonNode node, List<Field> fields) {
            List<Aggregation> aggregations = new ArrayList<>();
            if (node == null || node.isNull()) {
                return aggregations;
            }
            if (!node.isArray()) {
                problem("aggregations", "expected a list of {name, function, field, window} entries");
                return aggregations;
            }
            for (int i = 0; i < node.size(); i++) {
                String at = "aggregations[" + i + "]";
                JsonNode entry = node.get(i);
                if (!entry.isObject()) {
                    problem(at, "expected a mapping such as {name: amount_sum_10m, function: sum, field: amount, "
                        + "window: 10m}");
                    continue;
                }
                unknownKeys(entry, at + ".", AGGREGATION_KEYS);
                String name = name(entry, "name", at + ".");
                Function function = enumValue(entry, "function", at + ".", Function.class,
                    "count, sum, mean, min, max");
                String field = entry.hasNonNull("field") ? text(entry.get("field"), at + ".field") : null;
                if (field != null) {
                    checkAggregatedField(field, fields, at + ".field");
                } else if (function != null && function != Function.COUNT) {
                    problem(at + ".field", "missing; " + function.name().toLowerCase(Locale.ROOT)
                        + " needs a declared number field");
                }
                Duration window = null;
                if (!entry.hasNonNull("window")) {
                    problem(at + ".window", "missing; " + DURATION_HINT);
                } else {
                    window = duration(entry.get("window"), at + ".window", false);
                }
                if (name != null && function != null && window != null) {
                    aggregations.add(new Aggregation(name, function, field, window));
                }
            }
            return aggregations;
        }

        private void checkAggregatedField(String field, List<Field> fields, String at) {
            for (Field declared : fields) {
                if (declared.name().equals(field)) {
                    if (declared.type() != FieldType.NUMBER) {
                        problem(at, "'" + field + "' is a " + declared.type().name().toLowerCase(Locale.ROOT)
                            + " field; aggregations need a number field");
                    }
                    return;
                }
            }
            problem(at, "'" + field + "' is not a declared field; declare it under fields with type number");
        }

        private void checkUniqueNames(List<Field> fields, List<Aggregation> aggregations) {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < fields.size(); i++) {
                if (!seen.add(fields.get(i).name())) {
                    problem("fields[" + i + "].name", "duplicate feature name '" + fields.get(i).name() + "'");
                }
            }
            for (int i = 0; i < aggregations.size(); i++) {
                if (!seen.add(aggregations.get(i).name())) {
                    problem("aggregations[" + i + "].name",
                        "duplicate feature name '" + aggregations.get(i).name() + "'");
                }
            }
        }

        private String name(JsonNode node, String key, String prefix) {
            if (!node.hasNonNull(key)) {
                problem(prefix + key, "missing; every " + (prefix.isEmpty() ? "view" : "entry") + " needs a name");
                return null;
            }
            String name = text(node.get(key), prefix + key);
            if (name != null && !NAME.matcher(name).matches()) {
                problem(prefix + key, "'" + name + "' is not a valid name; use letters, digits, '_', '.' and '-'");
                return null;
            }
            return name;
        }

        private String path(JsonNode root, String key) {
            if (!root.hasNonNull(key)) {
                problem(key, "missing; give the dot-separated path of the field in each event");
                return null;
            }
            String path = text(root.get(key), key);
            if (path != null && (path.isBlank() || path.startsWith(".") || path.endsWith(".") || path.contains(".."))) {
                problem(key, "'" + path + "' is not a field path; use e.g. entity_id or user.id");
                return null;
            }
            return path;
        }

        private String text(JsonNode node, String at) {
            if (!node.isTextual() && !node.isNumber()) {
                problem(at, "expected a single value, not " + node.getNodeType().name().toLowerCase(Locale.ROOT));
                return null;
            }
            return node.asText();
        }

        private Duration duration(JsonNode node, String at, boolean zeroAllowed) {
            String text = node.asText();
            Duration d = node.isTextual() ? Durations.parse(text) : null;
            if (d == null) {
                problem(at, "'" + text + "' is not a duration; " + DURATION_HINT);
                return null;
            }
            if (d.isZero() && !zeroAllowed) {
                problem(at, "'" + text + "' is empty; a window must be longer than zero");
                return null;
            }
            return d;
        }

        private <E extends Enum<E>> E enumValue(JsonNode node, String key, String prefix, Class<E> type,
                String accepted) {
            if (!node.hasNonNull(key)) {
                problem(prefix + key, "missing; use one of " + accepted);
                return null;
            }
            String text = node.get(key).asText();
            try {
                return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problem(prefix + key, "'" + text + "' is not one of " + accepted);
                return null;
            }
        }

        private void unknownKeys(JsonNode node, String prefix, Set<String> allowed) {
            for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                String key = names.next();
                if (!allowed.contains(key)) {
                    problem(prefix + key, "unknown key; expected one of " + new java.util.TreeSet<>(allowed));
                }
            }
        }

        private void problem(String path, String reason) {
            problems.add(path + ": " + reason);
        }
    }
}
