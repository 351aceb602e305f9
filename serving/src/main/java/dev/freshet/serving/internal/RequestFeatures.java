package dev.freshet.serving.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;

import dev.freshet.contracts.FeatureEncoding;
import dev.freshet.proto.serving.v1.FieldValue;

/**
 * A request's fields in the platform's one encoding ({@link dev.freshet.contracts.FeatureEncoding}), merged over the
 * entity's stored features: request fields win on a name clash.
 */
final class RequestFeatures {
    private RequestFeatures() {
    }

    /**
     * Adds the request's fields to the entity's stored features.
     *
     * @param features the stored features, in a map owned by the request; modified and returned
     * @param fields the request's fields, already checked by {@link RequestValidator} (names non-empty, every value
     *               set and finite)
     * @throws IllegalStateException if a field has no value: the request was not validated
     */
    static Map<String, Double> mergeInto(HashMap<String, Double> features, Map<String, FieldValue> fields) {
        if (!features.isEmpty() && !fields.isEmpty()) {
            Predicate<String> isRequestField = fields::containsKey;
            features.keySet().removeIf(name -> FeatureEncoding.encodesAnyOf(name, isRequestField));
        }
        for (Map.Entry<String, FieldValue> field : fields.entrySet()) {
            String name = field.getKey();
            FieldValue value = field.getValue();
            switch (value.getKindCase()) {
                case NUMBER_VALUE -> features.put(name, value.getNumberValue());
                case BOOL_VALUE -> features.put(name, FeatureEncoding.encode(value.getBoolValue()));
                case STRING_VALUE -> features.put(FeatureEncoding.oneHotName(name, value.getStringValue()), 1.0);
                default -> throw new IllegalStateException("field '" + name + "' has no value: the request "
                    + "should have been refused by RequestValidator before scoring");
            }
        }
        return features;
    }
}
