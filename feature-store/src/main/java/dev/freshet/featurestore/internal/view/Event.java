package dev.freshet.featurestore.internal.view;

import java.util.Map;
import java.util.Objects;

/**
 * One valid event, reduced to what the view needs.
 *
 * @param entityId the entity the event belongs to
 * @param eventTimeMs event time, epoch millis
 * @param values declared fields present in the event, by field name: {@code Double}, {@code String} or
 *     {@code Boolean} as the field's type says; optional fields that were absent are missing
 * @param requestId the value at the view's request id path, or null when the view has none or the event lacks it
 */
public record Event(String entityId, long eventTimeMs, Map<String, Object> values, String requestId)
        implements ParseResult {
    public Event {
        Objects.requireNonNull(entityId, "entityId");
        values = Map.copyOf(values);
    }

    public Event(String entityId, long eventTimeMs, Map<String, Object> values) {
        this(entityId, eventTimeMs, values, null);
    }
}
