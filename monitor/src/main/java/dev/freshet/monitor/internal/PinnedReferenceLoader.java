package dev.freshet.monitor.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.proto.features.v1.TrainingExample;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the training examples of a pinned range once, at startup. A training example is written when its label
 * arrives, after its prediction, so the first record at or after the range's start (by record time) is where its
 * examples can begin; reading goes on to the end offsets seen at the start, and examples are kept by prediction
 * time.
 */
final class PinnedReferenceLoader {
    private static final Logger log = LoggerFactory.getLogger(PinnedReferenceLoader.class);
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(2);
    /** Fewer examples than this make PSI's ten bins meaningless. */
    static final int MIN_EXAMPLES = 100;

    private PinnedReferenceLoader() {
    }

    /**
     * Pins the engine's drift reference to the configured range, if one is configured.
     *
     * @throws ConfigException naming the key when the range holds too few examples of the model
     */
    static void pinIfConfigured(MonitorConfig config, MonitorEngine engine, String model) {
        String value = config.getString(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG);
        Optional<PinnedRange> range = PinnedRange.parse(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG, value);
        if (range.isEmpty()) {
            return;
        }
        String topic = config.topics().name(Topic.TRAINING_EXAMPLES);
        List<TrainingExample> examples = load(KafkaClients.from(config.originals()), topic, model, range.get());
        if (examples.size() < MIN_EXAMPLES) {
            throw new ConfigException(MonitorConfig.DRIFT_REFERENCE_PINNED_CONFIG, value, String.format(
                "only %d training examples of model '%s' predicted in that range are still on topic '%s'; "
                    + "choose a range with at least %d", examples.size(), model, topic, MIN_EXAMPLES));
        }
        engine.pinDriftReference(examples);
        log.info("Pinned the drift reference of model '{}' to the {} training examples predicted in {}.", model,
            examples.size(), range.get());
    }

    static List<TrainingExample> load(KafkaClients clients, String topic, String model, PinnedRange range) {
        List<TrainingExample> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = clients.committedReader(null, Map.of(),
                 new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Map<TopicPartition, Long> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, range.fromMs()));
            Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(query);
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp start = starts.get(tp);
                consumer.seek(tp, start == null ? end.get(tp) : start.offset());
            }
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (!caughtUp(consumer, partitions, end) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TrainingExample example = parse(r.value());
                    if (example != null && (example.getModel().isEmpty() || example.getModel().equals(model))
                            && range.contains(example.getPredictedAtMs())) {
                        out.add(example);
                    }
                }
            }
        }
        return out;
    }

    private static boolean caughtUp(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions,
                                    Map<TopicPartition, Long> end) {
        for (TopicPartition tp : partitions) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    private static TrainingExample parse(byte[] value) {
        try {
            return value == null ? null : TrainingExample.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            return null; // the main read counts and logs unreadable records
        }
    }
}
