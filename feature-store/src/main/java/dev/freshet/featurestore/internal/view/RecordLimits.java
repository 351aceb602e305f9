package dev.freshet.featurestore.internal.view;

import java.util.List;
import java.util.Map;

import dev.freshet.featurestore.FeatureStoreConfig;

/**
 * What one record may carry before it is dead-lettered or bucketed, from the featurestore.event.time.*,
 * featurestore.entity.id.max.chars, featurestore.string.value.max.chars, featurestore.category.max.values,
 * featurestore.record.max.bytes and featurestore.deadletter.raw.max.bytes keys.
 *
 * @param maxFutureMs how far ahead of the wall clock an event time may be
 * @param minEventTimeMs the earliest event time accepted
 * @param entityIdMaxChars the longest entity id accepted
 * @param stringValueMaxChars the longest string value accepted
 * @param categoryMaxValues distinct values one-hot encoded per string field and task before the overflow bucket
 * @param recordMaxBytes the largest record read or written, and the largest state an entity may keep
 * @param deadLetterRawMaxBytes how much of a record's value its dead letter keeps
 */
public record RecordLimits(long maxFutureMs, long minEventTimeMs, int entityIdMaxChars, int stringValueMaxChars,
        int categoryMaxValues, int recordMaxBytes, int deadLetterRawMaxBytes) {
    /** The keys' defaults, for code that runs without the feature store's configuration (tools, tests). */
    public static final RecordLimits DEFAULTS = new RecordLimits(FeatureStoreConfig.EVENT_TIME_MAX_FUTURE_MS_DEFAULT,
        FeatureStoreConfig.EVENT_TIME_MIN_MS_DEFAULT, FeatureStoreConfig.ENTITY_ID_MAX_CHARS_DEFAULT,
        FeatureStoreConfig.STRING_VALUE_MAX_CHARS_DEFAULT, FeatureStoreConfig.CATEGORY_MAX_VALUES_DEFAULT,
        FeatureStoreConfig.RECORD_MAX_BYTES_DEFAULT, FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_DEFAULT);

    /** The keys the feature store copies into every Streams application's configs. */
    public static final List<String> KEYS = List.of(FeatureStoreConfig.EVENT_TIME_MAX_FUTURE_MS_CONFIG,
        FeatureStoreConfig.EVENT_TIME_MIN_MS_CONFIG, FeatureStoreConfig.ENTITY_ID_MAX_CHARS_CONFIG,
        FeatureStoreConfig.STRING_VALUE_MAX_CHARS_CONFIG, FeatureStoreConfig.CATEGORY_MAX_VALUES_CONFIG,
        FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG, FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_CONFIG);

    /** The keys as they travel in a Streams application's configs (the feature store puts them there). */
    public static RecordLimits fromAppConfigs(Map<String, ?> appConfigs) {
        return new RecordLimits(
            longOf(appConfigs, FeatureStoreConfig.EVENT_TIME_MAX_FUTURE_MS_CONFIG, DEFAULTS.maxFutureMs),
            longOf(appConfigs, FeatureStoreConfig.EVENT_TIME_MIN_MS_CONFIG, DEFAULTS.minEventTimeMs),
            (int) longOf(appConfigs, FeatureStoreConfig.ENTITY_ID_MAX_CHARS_CONFIG, DEFAULTS.entityIdMaxChars),
            (int) longOf(appConfigs, FeatureStoreConfig.STRING_VALUE_MAX_CHARS_CONFIG, DEFAULTS.stringValueMaxChars),
            (int) longOf(appConfigs, FeatureStoreConfig.CATEGORY_MAX_VALUES_CONFIG, DEFAULTS.categoryMaxValues),
            (int) longOf(appConfigs, FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG, DEFAULTS.recordMaxBytes),
            (int) longOf(appConfigs, FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_CONFIG,
                DEFAULTS.deadLetterRawMaxBytes));
    }

    /**
     * The latest wall-clock-relative time still credible at {@code wallClockMs}; saturates instead of overflowing
     * for a huge {@code maxFutureMs}.
     */
    public long latestCredibleMs(long wallClockMs) {
        long latest = wallClockMs + maxFutureMs;
        return latest < wallClockMs ? Long.MAX_VALUE : latest;
    }

    private static long longOf(Map<String, ?> configs, String key, long otherwise) {
        Object value = configs.get(key);
        return value == null ? otherwise : Long.parseLong(value.toString());
    }
}
