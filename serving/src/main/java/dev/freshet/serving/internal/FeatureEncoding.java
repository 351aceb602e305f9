package dev.freshet.serving.internal;

import java.util.Map;
import java.util.HashMap;

import dev.freshet.proto.serving.v1.FieldValue;

/**
 * The shared feature encoding: number → value, boolean → 1.0/0.0, string field {@code f} with value {@code v}
 * → feature {@code f=v} with value 1.0. Request fields win over stored values on a name clash.
 */
final class FeatureEncoding {
    private FeatureEncoding() {
    }

    /**
     * Adds the request's fields to the entity's stored features.
     *
     * @param features the stored features, in a map owned by the request; modified and returned
     * @param fields the request's fields, already checked by {@link RequestValidator} (names non-empty)
     * @throws InvalidRequestException if a field has no value or a non-finite number
     */
    static Map<String, Double> mergeInto(HashMap<String, Double> features, Map<String, FieldValue> fields) {
        if (!features.isEmpty() && !fields.isEmpty()) {
            features.keySet().removeIf(name -> replacedByField(name, fields));
        }
        for (Map.Entry<String, FieldValue> field : fields.entrySet()) {
            String name = field.getKey();
            FieldValue value = field.getValue();
            switch (value.getKindCase()) {
                case NUMBER_VALUE -> {
                    double number = value.getNumberValue();
                    if (!Double.isFinite(number)) {
                        throw new InvalidRequestException(String.format(
                            "field '%s' is %s; send a finite number.", name, number));
                    }
                    features.put(name, number);
                }
                case BOOL_VALUE -> features.put(name, value.getBoolValue() ? 1.0 : 0.0);
                case STRING_VALUE -> features.put(name + "=" + value.getStringValue(), 1.0);
                default -> throw new InvalidRequestException(String.format(
                    "field '%s' has no value; set number_value, string_value or bool_value.", name));
            }
        }
        return features;
    }

    /**
     * Whether a request field replaces this stored feature: the field of the same name, or the field {@code f} of a
     * one-hot feature {@code f=v}, so that a request's channel=web is not scored together with a stored
     * channel=app.
     */
    private static boolean replacedByField(String feature, Map<String, FieldValue> fields) {
        if (fields.containsKey(feature)) {
            return true;
        }
        for (int eq = feature.indexOf('='); eq > 0; eq = feature.indexOf('=', eq + 1)) {
            if (fields.containsKey(feature.substring(0, eq))) {
                return true;
            }
        }
        return false;
    }
}
