package dev.freshet.featurestore;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A registered feature view: how to read an entity's events and which features to keep for it. Immutable.
 * Built and validated from YAML by the feature store; a value of this type is always valid.
 *
 * @param name the view's name, carried on every feature vector
 * @param version the view's version, carried on every feature vector
 * @param entityPath dot-separated path of the entity id in an event
 * @param eventTimePath dot-separated path of the event time (epoch millis, or an ISO-8601 string)
 * @param grace how much older than the entity's newest event time (beyond the longest window) an event may be
 *     and still update the windows
 * @param fields pass-through fields: the entity's latest value of each
 * @param aggregations trailing event-time windows per entity, ending at the entity's newest event time
 */
public record FeatureView(
        String name,
        int version,
        String entityPath,
        String eventTimePath,
        Duration grace,
        List<Field> fields,
        List<Aggregation> aggregations) {

    public FeatureView {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(entityPath, "entityPath");
        Objects.requireNonNull(eventTimePath, "eventTimePath");
        Objects.requireNonNull(grace, "grace");
        fields = List.copyOf(fields);
        aggregations = List.copyOf(aggregations);
    }

    /** The longest aggregation window, or zero when the view has no aggregations. */
    public Duration longestWindow() {
        return aggregations.stream().map(Aggregation::window).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /** The declared field with this name, or null. */
    public Field field(String fieldName) {
        for (Field field : fields) {
            if (field.name().equals(fieldName)) {
                return field;
            }
        }
        return null;
    }

    /** The type of a declared field's values in an event. */
    public enum FieldType { NUMBER, STRING, BOOLEAN }

    /** What an aggregation computes over the window's values. */
    public enum Function { COUNT, SUM, MEAN, MIN, MAX }

    /**
     * A pass-through field.
     *
     * @param name the feature name (and, unless {@code path} differs, the field's name in the event)
     * @param path dot-separated path of the value in an event
     * @param type the JSON type the value must have
     * @param optional when false, an event without the field is dead-lettered
     */
    public record Field(String name, String path, FieldType type, boolean optional) {
        public Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(type, "type");
        }
    }

    /**
     * A trailing-window aggregation. The window of length {@code window} ending at the entity's newest event
     * time {@code T} holds the events with event time in {@code (T - window, T]}.
     *
     * @param name the feature name
     * @param function what to compute
     * @param field the declared numeric field aggregated; null for a {@code count} of events
     * @param window the window length, positive
     */
    public record Aggregation(String name, Function function, String field, Duration window) {
        public Aggregation {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(window, "window");
        }
    }
}
