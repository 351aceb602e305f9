package dev.freshet.featurestore.internal.streams;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A label's value as the one text the training example and the label feature carry: a string as given, a boolean
 * as {@code true}/{@code false}, and a number as its canonical text, so that a regression target survives exactly
 * and a class sent once as {@code 1} and once as {@code 1.0} is one class. A number's canonical text is its whole
 * decimal digits when it is a whole number (up to 15 digits, within a double's exact range; any size when written
 * without a fraction), otherwise the shortest-form text of its double, which parses back to the same double.
 */
final class LabelText {
    private static final double WHOLE_LIMIT = 1e15;

    private LabelText() {
    }

    /**
     * @param value the {@code label} member, or null when absent
     * @return the label's text, or null when {@link #problem} says why there is none
     */
    static String of(JsonNode value) {
        if (problem(value) != null) {
            return null;
        }
        if (value.isTextual()) {
            return value.textValue();
        }
        if (value.isBoolean() || value.isIntegralNumber()) {
            return value.asText();
        }
        double d = value.doubleValue();
        if (d == Math.rint(d) && Math.abs(d) < WHOLE_LIMIT) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }

    /** What is wrong with the {@code label} member for a dead letter's detail, or null when it is a label. */
    static String problem(JsonNode value) {
        if (value == null) {
            return "'label' is missing";
        }
        return switch (value.getNodeType()) {
            case STRING -> value.textValue().isEmpty() ? "'label' is an empty string" : null;
            case BOOLEAN -> null;
            case NUMBER -> value.isIntegralNumber() || Double.isFinite(value.doubleValue()) ? null
                : "'label' is the number " + value.asText() + ", which is not finite";
            case NULL -> "'label' is null";
            case OBJECT -> "'label' is an object (" + shortText(value) + "), not a value";
            case ARRAY -> "'label' is an array (" + shortText(value) + "); send one value per label record";
            default -> "'label' is a " + value.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                + ", not a value";
        };
    }

    private static String shortText(JsonNode node) {
        String text = node.toString();
        return text.length() <= 60 ? text : text.substring(0, 57) + "...";
    }
}
