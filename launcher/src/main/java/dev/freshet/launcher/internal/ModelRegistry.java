package dev.freshet.launcher.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.contracts.RolloutMode;
import dev.freshet.contracts.ServingRule;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelSchema;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One model's registry as {@code freshet models} reads it: its versions, the schemas of packed versions, and the
 * serving rule fed with the same versions and commands serving reads, so that it names what serving serves.
 * Read once, to the end of each topic, without a consumer group; not modified after {@link #read}.
 *
 * @param rule the shared serving rule over every version and serving command of the model
 */
record ModelRegistry(String model, TreeMap<Long, ModelVersion> versions, ServingRule rule,
                     Map<String, ModelSchema> schemas) {

    /**
     * Reads {@code <prefix>models}, {@code <prefix>commands} and, when it exists, {@code <prefix>model-schemas} to
     * their ends.
     *
     * @throws LauncherException if a topic is missing or cannot be read to its end within {@code timeout}
     */
    static ModelRegistry read(KafkaClients clients, TopicLayout topics, String model, Duration timeout) {
        TreeMap<Long, ModelVersion> versions = new TreeMap<>();
        ServingRule rule = new ServingRule(model);
        for (ConsumerRecord<String, byte[]> r : readAll(clients, topics.name(Topic.MODELS), timeout)) {
            if (r.value() == null) {
                forget(versions, model, r.key());
                continue;
            }
            try {
                ModelVersion mv = ModelVersion.parseFrom(r.value());
                if (mv.getModel().equals(model)) {
                    versions.put(mv.getVersion(), mv);
                }
            } catch (InvalidProtocolBufferException e) {
                // Not a version: nothing a person can act on here; the trainer logs such records.
            }
        }
        // Compaction keeps one record per version, the newest claim, which is the one serving follows.
        versions.values().forEach(mv -> rule.addVersion(mv.getVersion(), mv.getParentVersion(),
            mv.getPublishedAtMs()));
        for (ConsumerRecord<String, byte[]> r : readAll(clients, topics.name(Topic.COMMANDS), timeout)) {
            if (r.value() == null) {
                continue;
            }
            try {
                rule.apply(r.key(), Command.parseFrom(r.value()));
            } catch (InvalidProtocolBufferException e) {
                // As above.
            }
        }
        return new ModelRegistry(model, versions, rule, readSchemas(clients, topics, model, timeout));
    }

    /** A tombstone keyed {@code <model>/<version>} deletes that version, as compaction will. */
    private static void forget(TreeMap<Long, ModelVersion> versions, String model, String key) {
        RecordKeys.versionOf(key, model).ifPresent(versions::remove);
    }

    /** The schemas packed versions refer to; none when the topic does not exist (a registry before them). */
    private static Map<String, ModelSchema> readSchemas(KafkaClients clients, TopicLayout topics, String model,
                                                       Duration timeout) {
        Map<String, ModelSchema> schemas = new HashMap<>();
        List<ConsumerRecord<String, byte[]>> records;
        try {
            records = readAll(clients, topics.name(Topic.MODEL_SCHEMAS), timeout);
        } catch (LauncherException e) {
            return schemas;
        }
        for (ConsumerRecord<String, byte[]> r : records) {
            if (r.value() == null) {
                continue;
            }
            try {
                ModelSchema schema = ModelSchema.parseFrom(r.value());
                if (schema.getModel().equals(model)) {
                    schemas.put(schema.getSchemaId(), schema);
                }
            } catch (InvalidProtocolBufferException e) {
                // As for versions.
            }
        }
        return schemas;
    }

    /**
     * What serving answers with, by the shared rule, when it runs in {@code mode}. Like serving, it passes over a
     * packed version whose schema is not in the registry; it cannot know of a version serving failed to load.
     */
    ServingRule.Decision serving(RolloutMode mode) {
        return rule.decide(mode, version -> {
            ModelVersion mv = versions.get(version);
            return mv != null && (mv.getSchemaId().isEmpty() || schemaOf(mv) != null);
        });
    }

    /** A packed version's schema, or null (a whole-model version, or a schema not in the topic). */
    ModelSchema schemaOf(ModelVersion mv) {
        return mv.getSchemaId().isEmpty() ? null : schemas.get(mv.getSchemaId());
    }

    /** Barred itself, or a descendant of a barred version (parent links), as serving and the trainer see it. */
    boolean isBarred(long version) {
        return rule.isBarred(version);
    }

    ModelVersion require(long version) {
        ModelVersion mv = versions.get(version);
        if (mv == null) {
            throw new LauncherException("Model '" + model + "' has no version " + version + " in the registry"
                + (versions.isEmpty() ? " (it has none)." : "; it has v" + versions.firstKey() + " to v"
                + versions.lastKey() + "."));
        }
        return mv;
    }

    /** The version, its parent, its parent's parent... as far as the registry holds them. */
    List<ModelVersion> lineage(long version) {
        List<ModelVersion> chain = new ArrayList<>();
        ModelVersion current = versions.get(version);
        while (current != null && chain.size() <= versions.size()) {
            chain.add(current);
            long parent = current.getParentVersion();
            current = parent > 0 && parent < current.getVersion() ? versions.get(parent) : null;
        }
        return chain;
    }

    private static List<ConsumerRecord<String, byte[]>> readAll(KafkaClients clients, String topic, Duration timeout) {
        // A version or schema can be as large as the topics allow.
        Map<String, Object> tuning = Map.of(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
            KafkaClients.MODEL_RECORD_MAX_BYTES, ConsumerConfig.FETCH_MAX_BYTES_CONFIG, KafkaClients.MODEL_RECORD_MAX_BYTES);
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = clients.committedReader(null, tuning, new StringDeserializer(),
                 new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new LauncherException("Topic '" + topic + "' does not exist; check --topics-prefix.");
            }
            List<TopicPartition> partitions = infos.stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp, timeout) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new LauncherException("Could not read " + topic + " to its end within " + timeout
                        + "; check the cluster or raise --timeout.");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
