package dev.freshet.launcher.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every topic the loop uses, and the one place that creates them. */
public final class TopicLayout {
    private static final Logger log = LoggerFactory.getLogger(TopicLayout.class);

    /**
     * A version carries its weights and the trainer's checkpoint (some 90 bytes per feature with two labels and
     * AdaGrad: 9 MB at 100k features), a schema its feature names; the trainer's producer sends up to the same size.
     */
    private static final int MODEL_MESSAGE_MAX_BYTES = 64 * 1024 * 1024;

    /**
     * A topic's suffix (after {@code topics.prefix}), whether it keeps only the latest record per key, and the
     * largest record it takes when that is above the broker's default.
     */
    public enum Topic {
        EVENTS("events", false),
        LABELS("labels", false),
        DEAD_LETTER("dead-letter", false),
        FEATURES("features", true),
        PREDICTIONS("predictions", false),
        TRAINING_EXAMPLES("training-examples", false),
        MODELS("models", true, MODEL_MESSAGE_MAX_BYTES),
        // The domains (task, outputs, feature names) of packed model versions (key: <model>/<schema id>).
        MODEL_SCHEMAS("model-schemas", true, MODEL_MESSAGE_MAX_BYTES),
        COMMANDS("commands", false),
        COMMAND_ACKS("command-acks", false),
        // The registry of feature views (key: view name), read by every feature-store instance.
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

        private Map<String, String> configs() {
            Map<String, String> configs = new HashMap<>();
            if (compacted) {
                configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
            }
            if (maxMessageBytes > 0) {
                configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxMessageBytes));
            }
            return configs;
        }

        public String suffix() {
            return suffix;
        }
    }

    private final String prefix;
    private final Optional<Integer> partitions;
    private final Optional<Short> replicationFactor;

    /**
     * @param partitions        partitions per topic, or -1 for the broker's default; the label join needs the
     *                          predictions and labels topics to have the same count, which one value guarantees
     * @param replicationFactor replicas per partition, or -1 for the broker's default
     */
    public TopicLayout(String prefix, int partitions, int replicationFactor) {
        this.prefix = prefix;
        this.partitions = partitions > 0 ? Optional.of(partitions) : Optional.empty();
        this.replicationFactor = replicationFactor > 0 ? Optional.of((short) replicationFactor) : Optional.empty();
    }

    public String name(Topic topic) {
        return prefix + topic.suffix;
    }

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public void ensureTopics(Admin admin) {
        try {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = new ArrayList<>();
            for (Topic topic : Topic.values()) {
                if (!existing.contains(name(topic))) {
                    NewTopic newTopic = new NewTopic(name(topic), partitions, replicationFactor);
                    newTopic.configs(topic.configs());
                    missing.add(newTopic);
                }
            }
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get();
                log.info("Created topics {}.", missing.stream().map(NewTopic::name).collect(Collectors.joining(", ")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LauncherException("Interrupted while creating Freshet's topics", e);
        } catch (ExecutionException e) {
            throw new LauncherException("Could not create Freshet's topics with prefix '" + prefix + "': "
                + e.getCause().getMessage() + "; check bootstrap.servers and the cluster's ACLs", e.getCause());
        }
    }
}
