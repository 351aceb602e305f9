package dev.freshet.launcher.internal;

import java.util.ArrayList;
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

    /** A topic's suffix (after {@code topics.prefix}) and whether it keeps only the latest record per key. */
    public enum Topic {
        EVENTS("events", false),
        LABELS("labels", false),
        DEAD_LETTER("dead-letter", false),
        FEATURES("features", true),
        PREDICTIONS("predictions", false),
        TRAINING_EXAMPLES("training-examples", false),
        MODELS("models", true),
        // The domains (task, outputs, feature names) of packed model versions (key: <model>/<schema id>).
        MODEL_SCHEMAS("model-schemas", true),
        COMMANDS("commands", false),
        COMMAND_ACKS("command-acks", false),
        // The registry of feature views (key: view name), read by every feature-store instance.
        FEATURE_VIEWS("feature-views", true);

        private final String suffix;
        private final boolean compacted;

        Topic(String suffix, boolean compacted) {
            this.suffix = suffix;
            this.compacted = compacted;
        }

        public String suffix() {
            return suffix;
        }
    }

    /**
     * A version carries its weights and the trainer's checkpoint (some 90 bytes per feature with two labels and
     * AdaGrad: 9 MB at 100k features), a schema its feature names; the trainer's producer sends up to the same size.
     */
    static final int MODEL_MESSAGE_MAX_BYTES = 64 * 1024 * 1024;

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
                    if (topic == Topic.MODELS || topic == Topic.MODEL_SCHEMAS) {
                        newTopic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                            TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MODEL_MESSAGE_MAX_BYTES)));
                    } else if (topic.compacted) {
                        newTopic.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
                    }
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
