package dev.freshet.featurestore.internal.view;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Transform;
import dev.freshet.featurestore.FeatureView.TransformFunction;

/** Reads a view's {@code transforms}: each function, the field it reads and the parameters that function takes. */
final class TransformReader {
    private static final List<String> TRANSFORM_FIELDS = List.of("boundaries", "buckets", "field", "function", "max",
        "min", "name", "offset", "vocabulary");
    private static final List<String> PARAMETERS = List.of("offset", "min", "max", "boundaries", "vocabulary",
        "buckets");

    private final ViewSyntax syntax;
    private final DefinitionReader reader;

    TransformReader(ViewSyntax syntax) {
        this.syntax = syntax;
        this.reader = syntax.reader();
    }

    List<Transform> transforms(JsonNode node, List<Field> fields) {
        List<Transform> transforms = new ArrayList<>();
        if (node == null || node.isNull()) {
            return transforms;
        }
        if (!node.isArray()) {
            syntax.problem("transforms", "expected a list of {name, function, field, ...} entries");
            return transforms;
        }
        for (int i = 0; i < node.size(); i++) {
            String at = DefinitionReader.element("transforms", i);
            JsonNode entry = node.get(i);
            if (!entry.isObject()) {
                syntax.problem(at, "expected a mapping such as {name: amount_log, function: log, field: amount}");
                continue;
            }
            Transform transform = transform(entry, at, fields);
            if (transform != null) {
                transforms.add(transform);
            }
        }
        return transforms;
    }

    private Transform transform(JsonNode entry, String at, List<Field> fields) {
        reader.allowOnly(entry, at, TRANSFORM_FIELDS);
        String name = syntax.name(entry, "name", at);
        TransformFunction function = syntax.enumValue(entry, "function", at, TransformFunction.class);
        String field = null;
        if (!entry.hasNonNull("field")) {
            syntax.problem(at + ".field", "missing; a transform reads one declared field");
        } else {
            field = reader.text(entry.get("field"), at + ".field");
        }
        if (function == null) {
            return null;
        }
        FieldType needs = switch (function) {
            case LOG, CLIP, BUCKETIZE -> FieldType.NUMBER;
            case ONE_HOT, HASH, TOKENS -> FieldType.STRING;
        };
        if (field != null) {
            syntax.checkFieldType(field, fields, at + ".field", Set.of(needs), ViewSyntax.lower(function));
        }
        refuseOtherParameters(entry, at, function);
        Double offset = function == TransformFunction.LOG ? number(entry, "offset", at, 1.0) : null;
        Double min = function == TransformFunction.CLIP ? number(entry, "min", at, null) : null;
        Double max = function == TransformFunction.CLIP ? number(entry, "max", at, null) : null;
        if (function == TransformFunction.CLIP) {
            if (!entry.has("min") && !entry.has("max")) {
                syntax.problem(at, "clip needs min, max or both");
            } else if (min != null && max != null && min > max) {
                syntax.problem(at + ".max", max + " is below min " + min);
            }
        }
        List<Double> boundaries = function == TransformFunction.BUCKETIZE ? boundaries(entry, at) : List.of();
        List<String> vocabulary = function == TransformFunction.ONE_HOT ? vocabulary(entry, at) : List.of();
        int buckets = function == TransformFunction.HASH || function == TransformFunction.TOKENS
            ? buckets(entry, at) : 0;
        if (name == null || field == null) {
            return null;
        }
        return new Transform(name, function, field, offset, min, max, boundaries, vocabulary, buckets);
    }

    private void refuseOtherParameters(JsonNode entry, String at, TransformFunction function) {
        Set<String> allowed = switch (function) {
            case LOG -> Set.of("offset");
            case CLIP -> Set.of("min", "max");
            case BUCKETIZE -> Set.of("boundaries");
            case ONE_HOT -> Set.of("vocabulary");
            case HASH, TOKENS -> Set.of("buckets");
        };
        String fn = ViewSyntax.lower(function);
        for (String key : PARAMETERS) {
            if (entry.has(key) && !allowed.contains(key)) {
                syntax.problem(at + "." + key, "does not apply to " + fn + "; " + fn + " takes "
                    + String.join(", ", new TreeSet<>(allowed)));
            }
        }
    }

    private Double number(JsonNode entry, String key, String at, Double absent) {
        JsonNode node = entry.get(key);
        if (node == null || node.isNull()) {
            return absent;
        }
        Double value = reader.number(node, at + "." + key);
        return value == null ? absent : value;
    }

    private List<Double> boundaries(JsonNode entry, String at) {
        JsonNode node = entry.get("boundaries");
        if (node == null || !node.isArray() || node.isEmpty()) {
            syntax.problem(at + ".boundaries", "missing or empty; give a list of increasing numbers such as "
                + "[10, 100]");
            return List.of();
        }
        List<Double> out = new ArrayList<>();
        for (int j = 0; j < node.size(); j++) {
            String path = DefinitionReader.element(at + ".boundaries", j);
            Double b = reader.number(node.get(j), path);
            if (b == null) {
                return List.of();
            }
            if (!out.isEmpty() && b <= out.get(out.size() - 1)) {
                syntax.problem(path, b + " is not above the boundary before it; boundaries must be strictly "
                    + "increasing");
                return List.of();
            }
            out.add(b);
        }
        return out;
    }

    private List<String> vocabulary(JsonNode entry, String at) {
        JsonNode node = entry.get("vocabulary");
        if (node == null || !node.isArray() || node.isEmpty()) {
            syntax.problem(at + ".vocabulary", "missing or empty; give the list of values, e.g. [web, app, pos] "
                + "(any other value becomes __other__), or use function: hash for an open set");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int j = 0; j < node.size(); j++) {
            JsonNode v = node.get(j);
            String path = DefinitionReader.element(at + ".vocabulary", j);
            if (!v.isValueNode() || v.isNull()) {
                syntax.problem(path, "expected a single value");
                return List.of();
            }
            if (out.contains(v.asText())) {
                syntax.problem(path, "'" + v.asText() + "' is listed twice");
                return List.of();
            }
            out.add(v.asText());
        }
        return out;
    }

    private int buckets(JsonNode entry, String at) {
        JsonNode node = entry.get("buckets");
        if (node == null || node.isNull()) {
            syntax.problem(at + ".buckets", "missing; give the number of hash buckets, e.g. 32");
            return 0;
        }
        Integer buckets = reader.wholeNumber(node, at + ".buckets", 1, ViewCost.MAX_HASH_BUCKETS);
        return buckets == null ? 0 : buckets;
    }
}
