package dev.freshet.contracts;

import java.util.Map;
import java.util.function.Predicate;

/**
 * The platform's feature encoding, the contract behind training/serving consistency: a number is its value, a
 * boolean is 1.0 or 0.0, and a string field {@code f} with value {@code v} is the one-hot feature {@code f=v} = 1.0.
 * The feature store encodes stored vectors with it, serving the request's fields, benches and backtests their rows.
 */
public final class FeatureEncoding {
    private static final char ONE_HOT_SEPARATOR = '=';

    private FeatureEncoding() {
    }

    /** The name of the one-hot feature of string field {@code field} with value {@code value}: {@code field=value}. */
    public static String oneHotName(String field, String value) {
        return field + ONE_HOT_SEPARATOR + value;
    }

    /** A boolean's value. */
    public static double encode(boolean flag) {
        return flag ? 1.0 : 0.0;
    }

    /**
     * Adds the encoding of one value to {@code out}.
     *
     * @param value a {@code Number}, {@code Boolean} or {@code String}
     * @throws IllegalArgumentException for any other type
     */
    public static void encode(String field, Object value, Map<String, Double> out) {
        if (value instanceof Number number) {
            out.put(field, number.doubleValue());
        } else if (value instanceof Boolean flag) {
            out.put(field, encode(flag.booleanValue()));
        } else if (value instanceof String text) {
            out.put(oneHotName(field, text), 1.0);
        } else {
            throw new IllegalArgumentException("Cannot encode " + (value == null ? "null" : value.getClass().getName())
                + " for field '" + field + "'; expected a number, a boolean or a string");
        }
    }

    /**
     * Whether {@code feature} is the encoding of a field {@code isField} accepts: the whole name (a number or boolean),
     * or a prefix before an '=' (a one-hot feature; a field name may itself contain '='). Serving uses it so that a
     * request's {@code channel=web} replaces a stored {@code channel=app} instead of being scored with it.
     */
    public static boolean encodesAnyOf(String feature, Predicate<String> isField) {
        if (isField.test(feature)) {
            return true;
        }
        for (int eq = feature.indexOf(ONE_HOT_SEPARATOR); eq > 0; eq = feature.indexOf(ONE_HOT_SEPARATOR, eq + 1)) {
            if (isField.test(feature.substring(0, eq))) {
                return true;
            }
        }
        return false;
    }
}
