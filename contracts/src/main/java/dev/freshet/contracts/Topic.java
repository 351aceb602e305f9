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
    /** The model registry (key: {@link RecordKeys#versionKey}). */
    MODELS("models", true, KafkaClients.MODEL_RECORD_MAX_BYTES),
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

    Topic(String suffix, boolean compacted) {
        this(suffix, compacted, 0);
    }

    Topic(String suffix, boolean compacted, int maxMessageBytes) {
        this.suffix = suffix;
        this.compacted = compacted;
        this.maxMessageBytes = maxMessageBytes;
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
        return configs;
    }
}
