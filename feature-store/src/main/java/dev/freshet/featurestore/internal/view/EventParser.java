package dev.freshet.featurestore.internal.view;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.internal.view.Rejection.Reason;

/**
 * Reads raw JSON events against one view: entity, event time and the declared fields, type-checked and bounded by
 * the {@link RecordLimits} (entity id and string lengths, event time between the floor and the wall clock plus the
 * allowed future). An event out of bounds is refused here, before it reaches any state, so it never moves an
 * entity's stream time, its windows or the expiry of other entities. Thread-safe.
 */
public final class EventParser {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FeatureView view;
    private final RecordLimits limits;

    public EventParser(FeatureView view, RecordLimits limits) {
        this.view = view;
        this.limits = limits;
    }

    /** A parser with the default limits. */
    public EventParser(FeatureView view) {
        this(view, RecordLimits.DEFAULTS);
    }

    /** The event, or why it cannot be used, judging the event time against the system clock. */
    public ParseResult parse(byte[] raw) {
        return parse(raw, System.currentTimeMillis());
    }

    /**
     * The event, or why it cannot be used. Never throws for bad input.
     *
     * @param wallClockMs now, which bounds how far ahead the event time may be
     */
    public ParseResult parse(byte[] raw, long wallClockMs) {
        JsonNode root;
        try {
            root = raw == null ? null : JSON.readTree(raw);
        } catch (IOException e) {
            return new Rejection(Reason.MALFORMED_JSON,
                "the value is not valid JSON (" + firstLine(e.getMessage()) + "); expected a JSON object", "");
        }
        if (root == null || !root.isObject()) {
            return new Rejection(Reason.MALFORMED_JSON, "the value is "
                + (root == null ? "empty" : "a JSON " + kind(root)) + "; expected a JSON object", "");
        }
        JsonNode entityNode = at(root, view.entityPath());
        if (entityNode == null) {
            return missing(view.entityPath(), "the entity id");
        }
        if ((!entityNode.isTextual() && !entityNode.isIntegralNumber()) || entityNode.asText().isEmpty()) {
            return new Rejection(Reason.WRONG_TYPE, "the entity id '" + view.entityPath() + "' is "
                + describe(entityNode) + "; expected a non-empty string or a whole number", view.entityPath());
        }
        if (entityNode.asText().length() > limits.entityIdMaxChars()) {
            return tooLong(view.entityPath(), "the entity id", entityNode.asText().length(),
                limits.entityIdMaxChars(), FeatureStoreConfig.ENTITY_ID_MAX_CHARS_CONFIG);
        }
        JsonNode timeNode = at(root, view.eventTimePath());
        if (timeNode == null) {
            return missing(view.eventTimePath(), "the event time");
        }
        Long eventTimeMs = eventTime(timeNode);
        if (eventTimeMs == null) {
            return new Rejection(Reason.WRONG_TYPE, "the event time '" + view.eventTimePath() + "' is "
                + describe(timeNode) + "; expected epoch milliseconds or an ISO-8601 instant such as "
                + "2025-01-31T12:00:00Z", view.eventTimePath());
        }
        Map<String, Object> values = new HashMap<>();
        for (Field field : view.fields()) {
            JsonNode node = at(root, field.path());
            if (node == null) {
                if (field.optional()) {
                    continue;
                }
                return missing(field.path(), "the required " + typeName(field) + " field");
            }
            Object value = value(field, node);
            if (value == null) {
                return new Rejection(Reason.WRONG_TYPE, "the field '" + field.path() + "' is " + describe(node)
                    + "; expected a " + typeName(field), field.path());
            }
            if (value instanceof String text && text.length() > limits.stringValueMaxChars()) {
                return tooLong(field.path(), "the string field", text.length(), limits.stringValueMaxChars(),
                    FeatureStoreConfig.STRING_VALUE_MAX_CHARS_CONFIG);
            }
            values.put(field.name(), value);
        }
        Rejection outOfRange = checkEventTime(eventTimeMs, wallClockMs);
        if (outOfRange != null) {
            return outOfRange;
        }
        String requestId = null;
        if (view.requestIdPath() != null) {
            // Absent or odd request ids only cost the label's placement precision, so they never reject an event.
            JsonNode idNode = at(root, view.requestIdPath());
            if (idNode != null && idNode.isValueNode() && !idNode.asText().isEmpty()) {
                requestId = idNode.asText();
            }
        }
        return new Event(entityNode.asText(), eventTimeMs, values, requestId);
    }

    /** Checked after the fields, so that an event with several faults is told its type errors first. */
    private Rejection checkEventTime(long eventTimeMs, long wallClockMs) {
        if (eventTimeMs < limits.minEventTimeMs()) {
            return new Rejection(Reason.EVENT_TIME_OUT_OF_RANGE, "the event time '" + view.eventTimePath() + "' is "
                + eventTimeMs + " (" + instant(eventTimeMs) + "), before the earliest accepted "
                + limits.minEventTimeMs() + " (" + instant(limits.minEventTimeMs()) + ", "
                + FeatureStoreConfig.EVENT_TIME_MIN_MS_CONFIG + "); send epoch milliseconds, or lower "
                + FeatureStoreConfig.EVENT_TIME_MIN_MS_CONFIG + " to replay older history", view.eventTimePath());
        }
        long latest = limits.latestCredibleMs(wallClockMs);
        if (eventTimeMs > latest) {
            return new Rejection(Reason.EVENT_TIME_OUT_OF_RANGE, "the event time '" + view.eventTimePath() + "' is "
                + eventTimeMs + " (" + instant(eventTimeMs) + "), more than " + limits.maxFutureMs()
                + " ms (" + FeatureStoreConfig.EVENT_TIME_MAX_FUTURE_MS_CONFIG + ") ahead of the feature store's "
                + "clock (" + instant(wallClockMs) + "); fix the producer's clock or time unit, or raise "
                + FeatureStoreConfig.EVENT_TIME_MAX_FUTURE_MS_CONFIG, view.eventTimePath());
        }
        return null;
    }

    private static Rejection tooLong(String path, String what, int length, int max, String key) {
        return new Rejection(Reason.VALUE_TOO_LONG, what + " '" + path + "' is " + length + " characters long, "
            + "more than the " + max + " accepted (" + key + "); send a shorter value, or raise " + key, path);
    }

    /** Every long of epoch milliseconds is within {@link Instant}'s range. */
    private static String instant(long epochMs) {
        return Instant.ofEpochMilli(epochMs).toString();
    }

    private static Object value(Field field, JsonNode node) {
        return switch (field.type()) {
            case NUMBER -> node.isNumber() && Double.isFinite(node.doubleValue()) ? node.doubleValue() : null;
            case STRING -> node.isTextual() ? node.textValue() : null;
            case BOOLEAN -> node.isBoolean() ? node.booleanValue() : null;
        };
    }

    private static Long eventTime(JsonNode node) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        if (node.isFloatingPointNumber() && node.doubleValue() == Math.rint(node.doubleValue())
                && Math.abs(node.doubleValue()) < 9.0e15) {
            return (long) node.doubleValue();
        }
        if (node.isTextual()) {
            try {
                return Instant.parse(node.textValue()).toEpochMilli();
            } catch (DateTimeParseException | ArithmeticException e) {
                return null;
            }
        }
        return null;
    }

    /** The node at a dot-separated path, or null when absent or JSON null. */
    static JsonNode at(JsonNode root, String path) {
        JsonNode node = root;
        for (String part : path.split("\\.")) {
            node = node.isObject() ? node.get(part) : null;
            if (node == null || node.isNull()) {
                return null;
            }
        }
        return node;
    }

    private static Rejection missing(String path, String what) {
        return new Rejection(Reason.MISSING_FIELD,
            "the event has no '" + path + "' (" + what + "); add it to the event", path);
    }

    private static String typeName(Field field) {
        return field.type().name().toLowerCase(Locale.ROOT);
    }

    private static String describe(JsonNode node) {
        String text = node.isTextual() ? "\"" + node.textValue() + "\"" : node.toString();
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return "a " + kind(node) + " (" + text + ")";
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT -> "object";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
