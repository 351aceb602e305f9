package dev.freshet.contracts;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The key formats of the loop's keyed topics, built and parsed here only. A view name never contains '/' (the
 * registry refuses it), so the first '/' of a feature key ends it and the rest (an entity id may contain '/') is kept
 * whole; a models-topic key is parsed knowing the model's name.
 */
public final class RecordKeys {
    private static final char SEPARATOR = '/';

    /** A parsed {@code <view>/<entity id>} key. */
    public record FeatureKey(String view, String entityId) {
    }

    private RecordKeys() {
    }

    /**
     * The key of an entity's feature vector (and of its tombstone) in the features topic: {@code <view>/<entity id>},
     * because several views may hold features of the same entity.
     */
    public static String featureKey(String view, String entityId) {
        return view + SEPARATOR + entityId;
    }

    /**
     * Parses a features-topic key; empty when it is not {@code <view>/<entity id>} with both parts non-empty (a
     * bare entity id, the format before views were named in keys, is not a feature key: callers decide what it is).
     */
    public static Optional<FeatureKey> parseFeatureKey(String key) {
        int slash = key == null ? -1 : key.indexOf(SEPARATOR);
        if (slash <= 0 || slash == key.length() - 1) {
            return Optional.empty();
        }
        return Optional.of(new FeatureKey(key.substring(0, slash), key.substring(slash + 1)));
    }

    /** The key of a model version in the models topic: {@code <model>/<version>}. */
    public static String versionKey(String model, long version) {
        return model + SEPARATOR + version;
    }

    /**
     * The version a models-topic key names when it is {@code <model>/<version>} of the given model; empty for
     * another model's key or a key that is not a version's.
     */
    public static OptionalLong versionOf(String key, String model) {
        if (key == null || key.length() <= model.length() + 1 || !key.startsWith(model)
            || key.charAt(model.length()) != SEPARATOR) {
            return OptionalLong.empty();
        }
        String digits = key.substring(model.length() + 1);
        for (int i = 0; i < digits.length(); i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(digits));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The key of a model schema in the model-schemas topic: {@code <model>/<schema id>}. */
    public static String schemaKey(String model, String schemaId) {
        return model + SEPARATOR + schemaId;
    }
}
