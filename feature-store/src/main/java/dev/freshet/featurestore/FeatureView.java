package dev.freshet.featurestore;

import java.time.Duration;
import java.util.ArrayList;
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
 * @param aggregations event-time window aggregations per entity
 * @param transforms features computed from one field of the entity's newest event
 * @param label the entity's most recent label as a feature, or null for none
 * @param requestIdPath dot-separated path of the field that applications send as the prediction's request id
 *     (e.g. {@code event_id}), or null; lets a label be placed at its own event's time exactly
 */
public record FeatureView(
        String name,
        int version,
        String entityPath,
        String eventTimePath,
        Duration grace,
        List<Field> fields,
        List<Aggregation> aggregations,
        List<Transform> transforms,
        LabelFeature label,
        String requestIdPath) {

    public FeatureView {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(entityPath, "entityPath");
        Objects.requireNonNull(eventTimePath, "eventTimePath");
        Objects.requireNonNull(grace, "grace");
        fields = List.copyOf(fields);
        aggregations = List.copyOf(aggregations);
        transforms = List.copyOf(transforms);
    }

    /** A view with pass-through fields and aggregations only. */
    public FeatureView(String name, int version, String entityPath, String eventTimePath, Duration grace,
            List<Field> fields, List<Aggregation> aggregations) {
        this(name, version, entityPath, eventTimePath, grace, fields, aggregations, List.of(), null, null);
    }

    /** This view with another version number: the registry allocates versions, whatever the file says. */
    public FeatureView withVersion(int newVersion) {
        return new FeatureView(name, newVersion, entityPath, eventTimePath, grace, fields, aggregations, transforms,
            label, requestIdPath);
    }

    /** Whether the two views compute the same features from the same events, whatever their versions. */
    public boolean sameDefinitionAs(FeatureView other) {
        return withVersion(1).equals(other.withVersion(1));
    }

    /** The names of the features the view declares: fields, transforms, aggregations, then the label feature. */
    public List<String> featureNames() {
        List<String> names = new ArrayList<>();
        fields.stream().filter(f -> !f.inputOnly()).forEach(f -> names.add(f.name()));
        transforms.forEach(t -> names.add(t.name()));
        aggregations.forEach(a -> names.add(a.name()));
        if (label != null) {
            names.add(label.name());
        }
        return names;
    }

    /** The longest aggregation window, or zero when the view has no aggregations. */
    public Duration longestWindow() {
        return aggregations.stream().map(Aggregation::window).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /** The grace period of an aggregation: its own when it declares one, else the view's. */
    public Duration graceOf(Aggregation aggregation) {
        return aggregation.grace() != null ? aggregation.grace() : grace;
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

    /**
     * What an aggregation computes over the window's values. {@code STDDEV} is the population standard deviation;
     * {@code LAST} the value of the event with the greatest event time (ties: the later arrival);
     * {@code DISTINCT_COUNT} the number of distinct values of a number, string or boolean field;
     * {@code TIME_SINCE_LAST} the milliseconds between the entity's newest event and the one before it (no window).
     */
    public enum Function { COUNT, SUM, MEAN, MIN, MAX, STDDEV, LAST, DISTINCT_COUNT, TIME_SINCE_LAST }

    /**
     * How an aggregation's windows are laid out on the event-time axis. With the entity's newest event time
     * {@code T}: {@code TRAILING} is the window {@code (T - size, T]}; {@code TUMBLING} the epoch-aligned window
     * {@code [k*size, (k+1)*size)} holding {@code T}; {@code HOPPING} the epoch-aligned window
     * {@code [k*advance, k*advance + size)} holding {@code T} that started earliest (the fullest one);
     * {@code SESSION} the run of events holding {@code T} with no gap of {@code size} or more between neighbours.
     */
    public enum WindowType { TRAILING, TUMBLING, HOPPING, SESSION }

    /** What a transform computes from one field of the newest event. */
    public enum TransformFunction { LOG, CLIP, BUCKETIZE, ONE_HOT, HASH, TOKENS }

    /**
     * A pass-through field.
     *
     * @param name the feature name (and, unless {@code path} differs, the field's name in the event)
     * @param path dot-separated path of the value in an event
     * @param type the JSON type the value must have
     * @param optional when false, an event without the field (absent or JSON {@code null}) is dead-lettered as
     *     {@code MISSING_FIELD}; when true, such an event is taken and the field's features are absent from its
     *     vector (aggregations skip it, see {@link Aggregation})
     * @param inputOnly when true, the field is read for the transforms and aggregations that name it but is no
     *     feature itself (YAML {@code role: input}), e.g. the text a {@code tokens} transform splits
     */
    public record Field(String name, String path, FieldType type, boolean optional, boolean inputOnly) {
        public Field {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(type, "type");
        }

        /** A field that is also a feature. */
        public Field(String name, String path, FieldType type, boolean optional) {
            this(name, path, type, optional, false);
        }
    }

    /**
     * A windowed aggregation per entity.
     *
     * @param name the feature name
     * @param function what to compute
     * @param field the declared field aggregated; null for a {@code count} of events and {@code time_since_last}
     * @param window the window length (the session gap for {@code SESSION}), positive; zero for
     *     {@code time_since_last}, which has no window
     * @param type the window layout
     * @param advance the hop of a {@code HOPPING} window (equal to {@code window} for {@code TUMBLING}, zero
     *     otherwise)
     * @param grace how long after a window ends an event may still update it, or null for the view's grace
     */
    public record Aggregation(String name, Function function, String field, Duration window, WindowType type,
            Duration advance, Duration grace) {
        public Aggregation {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(window, "window");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(advance, "advance");
        }

        /** A trailing-window aggregation with the view's grace. */
        public Aggregation(String name, Function function, String field, Duration window) {
            this(name, function, field, window, WindowType.TRAILING, Duration.ZERO, null);
        }
    }

    /**
     * A feature computed from one field of the entity's newest event. Numbers: {@code LOG} is
     * {@code ln(x + offset)} (absent when that is not positive), {@code CLIP} bounds to {@code [min, max]},
     * {@code BUCKETIZE} is the one-hot {@code name=i} where {@code i} counts the boundaries at or below the value.
     * Strings: {@code ONE_HOT} is {@code name=v} for a value in the vocabulary and {@code name=__other__} for any
     * other; {@code HASH} is {@code name=#k} with {@code k} the value's FNV-1a hash modulo {@code buckets};
     * {@code TOKENS} splits the text into lower-cased words and counts each word's bucket {@code name=#k}.
     *
     * @param offset for {@code LOG}; null elsewhere
     * @param min for {@code CLIP}, or null for no lower bound
     * @param max for {@code CLIP}, or null for no upper bound
     * @param boundaries for {@code BUCKETIZE}, strictly increasing; empty elsewhere
     * @param vocabulary for {@code ONE_HOT}; empty elsewhere
     * @param buckets for {@code HASH} and {@code TOKENS}; zero elsewhere
     */
    public record Transform(String name, TransformFunction function, String field, Double offset, Double min,
            Double max, List<Double> boundaries, List<String> vocabulary, int buckets) {
        public Transform {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(function, "function");
            Objects.requireNonNull(field, "field");
            boundaries = List.copyOf(boundaries);
            vocabulary = List.copyOf(vocabulary);
        }
    }

    /**
     * The label of the entity's most recent labelled example as the one-hot feature {@code name=<label>}. Only
     * examples with an event time strictly before the entity's newest event count, so the label of the example
     * being predicted never shows in its own vector.
     *
     * @param name the feature name
     */
    public record LabelFeature(String name) {
        public LabelFeature {
            Objects.requireNonNull(name, "name");
        }
    }
}
