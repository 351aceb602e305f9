package dev.freshet.featurestore.internal.view;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import dev.freshet.contracts.DefinitionReader;
import dev.freshet.contracts.Durations;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;

/**
 * The value rules every section of a feature view shares: names, field paths, references to declared fields,
 * enumerations and window durations, each adding a problem at its path through the definition reader.
 */
final class ViewSyntax {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]*");

    private final DefinitionReader reader;

    ViewSyntax(DefinitionReader reader) {
        this.reader = reader;
    }

    DefinitionReader reader() {
        return reader;
    }

    void problem(String path, String reason) {
        reader.problem(path, reason);
    }

    /** The entry's {@code key}: a name of letters, digits, '_', '.' and '-'; null (and a problem) otherwise. */
    String name(JsonNode node, String key, String at) {
        String path = DefinitionReader.child(at, key);
        if (!node.hasNonNull(key)) {
            problem(path, "missing; every " + (at.isEmpty() ? "view" : "entry") + " needs a name");
            return null;
        }
        String name = reader.text(node.get(key), path);
        if (name != null && !NAME.matcher(name).matches()) {
            problem(path, "'" + name + "' is not a valid name; use letters, digits, '_', '.' and '-'");
            return null;
        }
        return name;
    }

    /** The root's {@code key}: a dot-separated path of a field in each event; null (and a problem) otherwise. */
    String fieldPath(JsonNode root, String key) {
        if (!root.hasNonNull(key)) {
            problem(key, "missing; give the dot-separated path of the field in each event");
            return null;
        }
        String path = reader.text(root.get(key), key);
        if (path != null && (path.isBlank() || path.startsWith(".") || path.endsWith(".") || path.contains(".."))) {
            problem(key, "'" + path + "' is not a field path; use e.g. entity_id or user.id");
            return null;
        }
        return path;
    }

    /** An optional single value of the entry, or null. */
    String optionalText(JsonNode entry, String key, String at) {
        return entry.hasNonNull(key) ? reader.text(entry.get(key), DefinitionReader.child(at, key)) : null;
    }

    /** The entry's {@code key}, one of {@code type}'s constants by its lower-case name. */
    <E extends Enum<E>> E enumValue(JsonNode node, String key, String at, Class<E> type) {
        String path = DefinitionReader.child(at, key);
        List<String> accepted = Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT)).toList();
        if (!node.hasNonNull(key)) {
            problem(path, "missing; use one of " + String.join(", ", accepted));
            return null;
        }
        String value = reader.oneOf(node.get(key), path, accepted);
        return value == null ? null : Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
    }

    /** A duration; a window's length must be longer than zero, a grace may be zero. */
    Duration duration(JsonNode node, String path, boolean zeroAllowed) {
        Duration d = reader.duration(node, path);
        if (d != null && d.isZero() && !zeroAllowed) {
            problem(path, "'" + node.asText() + "' is empty; a window must be longer than zero");
            return null;
        }
        return d;
    }

    /** The hint of a missing duration. */
    static String missingDuration() {
        return "missing; " + Durations.FORMS;
    }

    /** That {@code field} is declared with one of {@code accepted} types; {@code user} names who needs it. */
    void checkFieldType(String field, List<Field> fields, String at, Set<FieldType> accepted, String user) {
        String types = accepted.size() == FieldType.values().length ? "a field"
            : "a " + lower(accepted.iterator().next()) + " field";
        for (Field declared : fields) {
            if (declared.name().equals(field)) {
                if (!accepted.contains(declared.type())) {
                    problem(at, "'" + field + "' is a " + lower(declared.type()) + " field; " + user + " need"
                        + (user.equals("aggregations") ? "" : "s") + " " + types);
                }
                return;
            }
        }
        problem(at, "'" + field + "' is not a declared field; declare it under fields"
            + (accepted.size() == 1 ? " with type " + lower(accepted.iterator().next()) : ""));
    }

    static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
