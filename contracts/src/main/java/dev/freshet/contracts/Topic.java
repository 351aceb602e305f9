package dev.freshet.contracts;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.config.TopicConfig;

/**
 * Every topic of the loop: its name after {@code topics.prefix}, whether it keeps only the latest record per key,
 * and the largest record it takes when that is above the broker's default. {@link TopicLayout} turns these into
 * names under one prefix and creates them.
 */
public enum Topic {
    /** Raw JSON events from applications (key: entity id, or none). */
    EVENTS("events", false),
    /** Raw JSON labels (key: anything; the request id is in the value). */
    LABELS("labels", false),
    /** Events and labels that could not be used, with the reason. */
    DEAD_LETTER("dead-letter", false),
    /** The latest feature vector of every entity and view (key: {@link RecordKeys#featureKey}). */
    FEATURES("features", true),
    /** Serving's log of every prediction with the features it scored. */
    PREDICTIONS("predictions", false),
    /** Point-in-time training examples from the label join. */
    TRAINING_EXAMPLES("training-examples", false),
    /**
     * The model registry (key: {@link RecordKeys#versionKey}). The trainer deletes versions beyond its retained
     * window with tombstones and keeps the checkpoint on the newest version only; these settings make compaction
     * actually drop what was replaced or deleted, so the topic stays near the retained versions' size.
     */
    MODELS("models", true, KafkaClients.MODEL_RECORD_MAX_BYTES, Map.of(
        // The active segment is never compacted: with the default 1 GiB a hundred versions of a 100k-feature
        // model (~10 MB a publication) would sit in it uncleaned. 64 MiB rolls every few publications.
        TopicConfig.SEGMENT_BYTES_CONFIG, Integer.toString(64 * 1024 * 1024),
        // ...and a slowly publishing trainer's segment rolls within ten minutes all the same.
        TopicConfig.SEGMENT_MS_CONFIG, Long.toString(10 * 60_000L),
        // Compacted once replaced records are half the log: the topic holds at most about twice the retained
        // versions, and each cleaning (a rewrite of the log) pays for as many bytes as it removes.
        TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.5",
        // A replaced checkpoint waits at most an hour for the cleaner, whatever the ratio.
        TopicConfig.MAX_COMPACTION_LAG_MS_CONFIG, Long.toString(60 * 60_000L),
        // Tombstones only need to outlive a reader that reads the topic from the beginning (seconds), not a day.
        TopicConfig.DELETE_RETENTION_MS_CONFIG, Long.toString(60 * 60_000L))),
    /** The domains (task, outputs, feature names) of packed model versions (key: {@link RecordKeys#schemaKey}). */
    MODEL_SCHEMAS("model-schemas", true, KafkaClients.MODEL_RECORD_MAX_BYTES),
    /** Retrain, rollback, pin, unpin and promote commands (key: model name). */
    COMMANDS("commands", false),
    /** The trainer's acknowledgements of commands. */
    COMMAND_ACKS("command-acks", false),
    /** The registry of feature views (key: view name), read by every feature-store instance. */
    FEATURE_VIEWS("feature-views", true);

    private final String suffix;
    private final boolean compacted;
    private final int maxMessageBytes;
    private final Map<String, String> extraConfigs;

    Topic(String suffix, boolean compacted) {
        this(suffix, compacted, 0);
    }

    Topic(String suffix, boolean compacted, int maxMessageBytes) {
        this(suffix, compacted, maxMessageBytes, Map.of());
    }

    Topic(String suffix, boolean compacted, int maxMessageBytes, Map<String, String> extraConfigs) {
        this.suffix = suffix;
        this.compacted = compacted;
        this.maxMessageBytes = maxMessageBytes;
        this.extraConfigs = extraConfigs;
    }

    /** The name after {@code topics.prefix}, e.g. {@code training-examples}. */
    public String suffix() {
        return suffix;
    }

    /** Whether the topic keeps only the latest record per key. */
    public boolean compacted() {
        return compacted;
    }

    /** The topic-level settings Freshet creates it with. */
    public Map<String, String> configs() {
        Map<String, String> configs = new HashMap<>();
        if (compacted) {
            configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        }
        if (maxMessageBytes > 0) {
            configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
        }
        configs.putAll(extraConfigs);
        return configs;
    }
}
