package dev.freshet.featurestore.internal.view;

import java.util.Objects;

/**
 * Why an event cannot be used.
 *
 * @param reason the category, as dead-lettered
 * @param detail what was wrong and what was expected, for an operator
 * @param field path of the offending field, or empty when no single field is to blame
 */
public record Rejection(Reason reason, String detail, String field) implements ParseResult {
    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(field, "field");
    }

    /** Rejection categories; the names match the dead-letter topic's reasons. */
    public enum Reason { MALFORMED_JSON, MISSING_FIELD, WRONG_TYPE, LATE_EVENT, EVENT_TIME_OUT_OF_RANGE, VALUE_TOO_LONG }
}
