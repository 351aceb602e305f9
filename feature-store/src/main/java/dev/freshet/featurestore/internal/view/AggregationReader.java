package dev.freshet.featurestore.internal.view;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.FeatureView.WindowType;

/** Reads a view's {@code aggregations}: each function, the field it reads and its window. */
final class AggregationReader {
    private static final List<String> AGGREGATION_FIELDS = List.of("field", "function", "name", "window");
    private static final List<String> WINDOW_FIELDS = List.of("advance", "gap", "grace", "size", "type");

    private final ViewSyntax syntax;
    private final DefinitionReader reader;

    AggregationReader(ViewSyntax syntax) {
        this.syntax = syntax;
        this.reader = syntax.reader();
    }

    List<Aggregation> aggregations(JsonNode node, List<Field> fields) {
        List<Aggregation> aggregations = new ArrayList<>();
        if (node == null || node.isNull()) {
            return aggregations;
        }
        if (!node.isArray()) {
            syntax.problem("aggregations", "expected a list of {name, function, field, window} entries");
            return aggregations;
        }
        for (int i = 0; i < node.size(); i++) {
            String at = DefinitionReader.element("aggregations", i);
            JsonNode entry = node.get(i);
            if (!entry.isObject()) {
                syntax.problem(at, "expected a mapping such as {name: amount_sum_10m, function: sum, field: amount, "
                    + "window: 10m}");
                continue;
            }
            Aggregation aggregation = aggregation(entry, at, fields);
            if (aggregation != null) {
                aggregations.add(aggregation);
            }
        }
        return aggregations;
    }

    private Aggregation aggregation(JsonNode entry, String at, List<Field> fields) {
        reader.allowOnly(entry, at, AGGREGATION_FIELDS);
        String name = syntax.name(entry, "name", at);
        Function function = syntax.enumValue(entry, "function", at, Function.class);
        String field = syntax.optionalText(entry, "field", at);
        checkField(function, field, fields, at);
        String windowAt = at + ".window";
        if (function == Function.TIME_SINCE_LAST) {
            if (entry.has("window")) {
                syntax.problem(windowAt, "does not apply to time_since_last, which looks at the entity's two newest "
                    + "events whatever their age");
            }
            return name == null ? null : new Aggregation(name, function, null, Duration.ZERO, WindowType.TRAILING,
                Duration.ZERO, null);
        }
        if (!entry.hasNonNull("window")) {
            syntax.problem(windowAt, "missing; give a duration such as 10m for a trailing window, or e.g. "
                + "{type: tumbling, size: 1h}");
            return null;
        }
        if (function == null || name == null) {
            // Still check the window, so that its problems are reported alongside.
            window(entry.get("window"), windowAt, "x", Function.COUNT, null);
            return null;
        }
        return window(entry.get("window"), windowAt, name, function, field);
    }

    private void checkField(Function function, String field, List<Field> fields, String at) {
        String fieldAt = at + ".field";
        boolean fieldless = function == Function.COUNT || function == Function.TIME_SINCE_LAST;
        if (field != null && function == Function.TIME_SINCE_LAST) {
            syntax.problem(fieldAt, "does not apply to time_since_last, which uses the event times only");
        } else if (field != null && function == Function.DISTINCT_COUNT) {
            syntax.checkFieldType(field, fields, fieldAt, Set.of(FieldType.values()), ViewSyntax.lower(function));
        } else if (field != null) {
            syntax.checkFieldType(field, fields, fieldAt, Set.of(FieldType.NUMBER), "aggregations");
        } else if (function != null && !fieldless) {
            syntax.problem(fieldAt, "missing; " + ViewSyntax.lower(function) + " needs a declared "
                + (function == Function.DISTINCT_COUNT ? "" : "number ") + "field");
        }
    }

    /** A window: a duration for a trailing one, or a mapping with its type. */
    private Aggregation window(JsonNode node, String at, String name, Function function, String field) {
        if (!node.isObject()) {
            Duration size = syntax.duration(node, at, false);
            return size == null ? null : new Aggregation(name, function, field, size);
        }
        reader.allowOnly(node, at, WINDOW_FIELDS);
        WindowType type = syntax.enumValue(node, "type", at, WindowType.class);
        if (type == null) {
            return null;
        }
        String lengthKey = type == WindowType.SESSION ? "gap" : "size";
        String otherKey = type == WindowType.SESSION ? "size" : "gap";
        if (node.has(otherKey)) {
            syntax.problem(at + "." + otherKey, "does not apply to a " + ViewSyntax.lower(type) + " window; use "
                + lengthKey);
        }
        if (node.has("advance") && type != WindowType.HOPPING) {
            syntax.problem(at + ".advance", "only a hopping window has an advance");
        }
        Duration size = null;
        if (!node.hasNonNull(lengthKey)) {
            syntax.problem(at + "." + lengthKey, ViewSyntax.missingDuration());
        } else {
            size = syntax.duration(node.get(lengthKey), at + "." + lengthKey, false);
        }
        Duration grace = node.hasNonNull("grace") ? syntax.duration(node.get("grace"), at + ".grace", true) : null;
        Duration advance = advance(node, at, type, size);
        if (size == null || advance == null || (node.hasNonNull("grace") && grace == null)) {
            return null;
        }
        return new Aggregation(name, function, field, size, type, advance, grace);
    }

    /** A hopping window's advance, at most its size; a tumbling window's is its size, the others' zero. */
    private Duration advance(JsonNode node, String at, WindowType type, Duration size) {
        if (type == WindowType.TUMBLING) {
            return size;
        }
        if (type != WindowType.HOPPING) {
            return Duration.ZERO;
        }
        if (!node.hasNonNull("advance")) {
            syntax.problem(at + ".advance", "missing; a hopping window needs an advance shorter than its size");
            return null;
        }
        Duration advance = syntax.duration(node.get("advance"), at + ".advance", false);
        if (advance != null && size != null && advance.compareTo(size) > 0) {
            syntax.problem(at + ".advance", "'" + node.get("advance").asText() + "' is longer than the size '"
                + node.get("size").asText() + "'; events between windows would be lost");
            return null;
        }
        return advance;
    }
}
