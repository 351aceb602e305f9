package dev.freshet.featurestore.internal.view;

import java.util.Map;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Field;

/**
 * The platform's feature encoding, shared with serving and the trainer: a number is its value, a boolean is
 * 1.0 or 0.0, and a string field {@code f} with value {@code v} is the one-hot feature {@code f=v} = 1.0.
 */
public final class FeatureEncoder {
    private FeatureEncoder() {
    }

    /** Adds the encoding of the view's fields present in {@code values} (by field name) to {@code out}. */
    public static void encode(FeatureView view, Map<String, Object> values, Map<String, Double> out) {
        for (Field field : view.fields()) {
            Object value = values.get(field.name());
            if (value != null) {
                encode(field.name(), value, out);
            }
        }
    }

    /** Adds the encoding of one value ({@code Double}, {@code Boolean} or {@code String}) to {@code out}. */
    public static void encode(String name, Object value, Map<String, Double> out) {
        if (value instanceof Double number) {
            out.put(name, number);
        } else if (value instanceof Boolean flag) {
            out.put(name, flag ? 1.0 : 0.0);
        } else if (value instanceof String text) {
            out.put(name + "=" + text, 1.0);
        } else {
            throw new IllegalArgumentException("Cannot encode " + value.getClass().getName() + " for " + name);
        }
    }
}
