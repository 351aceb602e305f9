package dev.freshet.contracts;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Reads the YAML of a definition file (feature views, model specs, policy files) and the values in it, adding a
 * problem to a {@link DefinitionProblems} for each mistake, at its field path, and going on: every problem of a file
 * is found in one pass. Each typed read returns null when the value is absent or wrong, so a caller can keep
 * checking what does not depend on it. Paths are built with {@link #child} and {@link #element}: {@code views[0]
 * .fields[2].type}; the empty path is the document itself.
 *
 * <p>Unknown fields are refused by {@link #allowOnly} with the accepted ones and the nearest of them
 * ({@link Suggestions}), and values that set a configuration key are checked by that key's own type and validator
 * ({@link #configValue}), so that a file accepts exactly what the key does. Not thread-safe: one instance reads one
 * definition.
 */
public final class DefinitionReader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final DefinitionProblems problems;

    /** A reader that adds its problems to {@code problems}. */
    public DefinitionReader(DefinitionProblems problems) {
        this.problems = problems;
    }

    /** Where this reader adds its problems. */
    public DefinitionProblems problems() {
        return problems;
    }

    /** {@code parent.field}, or {@code field} when {@code parent} is the document (empty). */
    public static String child(String parent, String field) {
        return parent.isEmpty() ? field : field.isEmpty() ? parent : parent + "." + field;
    }

    /** {@code list[index]}. */
    public static String element(String list, int index) {
        return list + "[" + index + "]";
    }

    /** Adds a problem at {@code path}. */
    public void problem(String path, String reason) {
        problems.add(path, reason);
    }

    /**
     * Every document of {@code yaml} ({@code ---} separates them), in order, skipping empty ones. Text that is not
     * YAML is one problem at the document, with its line and column, and gives no document.
     */
    public List<JsonNode> documents(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                if (doc != null && !doc.isMissingNode() && !doc.isNull()) {
                    documents.add(doc);
                }
            }
        } catch (IOException e) {
            problem("", notYaml(e));
            return List.of();
        }
        return documents;
    }

    /** The first document of {@code yaml}, or null when it is empty or not YAML (the latter also a problem). */
    public JsonNode document(String yaml) {
        List<JsonNode> documents = documents(yaml);
        return documents.isEmpty() ? null : documents.get(0);
    }

    private static String notYaml(IOException e) {
        if (!(e instanceof JsonProcessingException j)) {
            return "not valid YAML: " + e.getMessage();
        }
        String detail = j.getOriginalMessage() == null ? "unreadable" : j.getOriginalMessage().lines().findFirst()
            .orElse("unreadable");
        return "not valid YAML" + (j.getLocation() == null ? "" : " at line " + j.getLocation().getLineNr()
            + ", column " + j.getLocation().getColumnNr()) + ": " + detail;
    }

    /**
     * True when {@code node} is a mapping; otherwise a problem "expected {@code expected}, got a list".
     *
     * @param expected what belongs there, e.g. {@code "a mapping {name, version}"}
     */
    public boolean isMapping(JsonNode node, String path, String expected) {
        if (node.isObject()) {
            return true;
        }
        problem(path, "expected " + expected + ", got " + kind(node));
        return false;
    }

    /**
     * Refuses each field of {@code mapping} that is not in {@code accepted}, naming the accepted ones (in
     * {@code accepted}'s order) and the nearest to the one given.
     */
    public void allowOnly(JsonNode mapping, String path, Collection<String> accepted) {
        for (Iterator<String> names = mapping.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!accepted.contains(name)) {
                problem(child(path, name), "unknown field; expected one of " + accepted
                    + Suggestions.didYouMean(name, accepted));
            }
        }
    }

    /** A single value (text or a number) as text; null, and a problem, when it is a list or a mapping. */
    public String text(JsonNode node, String path) {
        if (!node.isTextual() && !node.isNumber()) {
            problem(path, "expected a single value, not " + node.getNodeType().name().toLowerCase(Locale.ROOT));
            return null;
        }
        return node.asText();
    }

    /** A finite number; null, and a problem, otherwise. */
    public Double number(JsonNode node, String path) {
        if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
            problem(path, describe(node) + " is not a number");
            return null;
        }
        return node.doubleValue();
    }

    /** A whole number from {@code min} to {@code max}; null, and a problem, otherwise. */
    public Integer wholeNumber(JsonNode node, String path, int min, int max) {
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            problem(path, describe(node) + " is not a whole number from " + min
                + (max == Integer.MAX_VALUE ? "" : " to " + max));
            return null;
        }
        return node.intValue();
    }

    /** {@code true} or {@code false}; null, and a problem, otherwise. */
    public Boolean bool(JsonNode node, String path) {
        if (!node.isBoolean()) {
            problem(path, describe(node) + " is not true or false");
            return null;
        }
        return node.booleanValue();
    }

    /**
     * One of {@code accepted}, ignoring case; null, and a problem naming them, otherwise.
     *
     * @return the accepted value as spelt in {@code accepted}
     */
    public String oneOf(JsonNode node, String path, List<String> accepted) {
        if (node.isValueNode()) {
            for (String value : accepted) {
                if (value.equalsIgnoreCase(node.asText())) {
                    return value;
                }
            }
        }
        problem(path, describe(node) + " is not one of " + String.join(", ", accepted));
        return null;
    }

    /** A duration in {@link Durations}' syntax; null, and a problem naming the accepted forms, otherwise. */
    public Duration duration(JsonNode node, String path) {
        if (!node.isTextual()) {
            problem(path, (node.isValueNode() ? "'" + node.asText() + "'" : kind(node)) + " is not a duration; "
                + Durations.FORMS);
            return null;
        }
        try {
            return Durations.parse(node.textValue());
        } catch (IllegalArgumentException e) {
            problem(path, e.getMessage());
            return null;
        }
    }

    /**
     * A duration as {@link #duration}, or a whole number of milliseconds (for fields that set a {@code *.ms} key and
     * always took plain milliseconds too).
     */
    public Duration durationOrMillis(JsonNode node, String path) {
        if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0) {
            if (node.longValue() > Durations.MAX.toMillis()) {
                problem(path, node.longValue() + " ms is longer than " + Durations.MAX.toMillis() + " (ten years), "
                    + "the longest duration accepted");
                return null;
            }
            return Duration.ofMillis(node.longValue());
        }
        return duration(node, path);
    }

    /**
     * The value of a field that sets the configuration key {@code key}, checked by the key's own type and
     * validator; null, and a problem saying what the key accepts, otherwise.
     *
     * @param keys the definitions of the keys, e.g. {@code TrainerConfig.configDef().configKeys()}
     */
    public Object configValue(JsonNode node, String path, Map<String, ConfigDef.ConfigKey> keys, String key) {
        ConfigDef.ConfigKey definition = definition(keys, key);
        Object raw = switch (definition.type) {
            case INT, LONG, SHORT -> node.isIntegralNumber() ? node.numberValue().toString() : null;
            case DOUBLE -> node.isNumber() ? node.numberValue().toString() : null;
            case BOOLEAN -> node.isBoolean() ? node.booleanValue() : null;
            default -> node.isValueNode() && !node.isNull() ? node.asText() : null;
        };
        if (raw == null) {
            problem(path, describe(node) + " is not " + switch (definition.type) {
                case INT, LONG, SHORT -> node.isNumber() ? "a whole number" : "a number";
                case DOUBLE -> "a number";
                case BOOLEAN -> "true or false";
                default -> "a single value";
            });
            return null;
        }
        return configValue(raw, describe(node), path, definition);
    }

    /**
     * A value already converted by the caller (e.g. a duration as milliseconds), checked as {@link
     * #configValue(JsonNode, String, java.util.Map, String)} does.
     *
     * @param shown the value as the file gave it, for the message
     */
    public Object configValue(Object value, String shown, String path, Map<String, ConfigDef.ConfigKey> keys,
            String key) {
        return configValue(value, shown, path, definition(keys, key));
    }

    private Object configValue(Object raw, String shown, String path, ConfigDef.ConfigKey definition) {
        try {
            Object parsed = ConfigDef.parseType(definition.name, raw, definition.type);
            if (definition.validator != null) {
                definition.validator.ensureValid(definition.name, parsed);
            }
            return parsed;
        } catch (ConfigException e) {
            problem(path, shown + " is not accepted; expected " + (definition.validator != null
                ? definition.validator.toString() : definition.type.name().toLowerCase(Locale.ROOT)));
            return null;
        }
    }

    private static ConfigDef.ConfigKey definition(Map<String, ConfigDef.ConfigKey> keys, String key) {
        ConfigDef.ConfigKey definition = keys.get(key);
        if (definition == null) {
            throw new IllegalArgumentException("No configuration key " + key + " is defined");
        }
        return definition;
    }

    /** A value as a message quotes it: text in quotes, anything else as YAML flow, cut at 60 characters. */
    public static String describe(JsonNode node) {
        String text = node.isTextual() ? "'" + node.textValue() + "'" : node.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    /** What kind of value a node is, for "expected ..., got a list". */
    public static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "a list";
            case OBJECT -> "a mapping";
            case STRING -> "a string (" + describe(node) + ")";
            default -> "a " + node.getNodeType().name().toLowerCase(Locale.ROOT) + " (" + describe(node) + ")";
        };
    }
}
