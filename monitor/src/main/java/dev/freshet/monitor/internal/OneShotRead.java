package dev.freshet.monitor.internal;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.monitor.MonitorConfig;
import dev.freshet.monitor.MonitorReport;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.Command;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the monitor's four topics from the beginning to their current end, once, through a read-only engine, and
 * returns the report: what {@code freshet report} and {@code freshet actions} show. No consumer group (nothing is
 * committed, a running monitor is not disturbed) and no command is written.
 *
 * <p>The models topic is read first, for lineage. Commands are then replayed among the data in the order of their
 * record timestamps, so a RETRAIN rebuilds the drift reference where it happened, as in the running monitor.
 */
public final class OneShotRead {
    private static final Logger log = LoggerFactory.getLogger(OneShotRead.class);

    private OneShotRead() {
    }

    /**
     * Reads up to the end offsets found at the start and reports.
     *
     * @throws KafkaException when a topic is missing or the end is not reached within {@code timeout}
     */
    public static MonitorReport read(MonitorConfig config, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        MonitorSettings settings = MonitorSettings.from(config, false);
        MonitorEngine engine = new MonitorEngine(settings, InstantSource.system());
        PinnedReferenceLoader.pinIfConfigured(config, engine, settings.model());
        TopicLayout topics = config.topics();
        String models = topics.name(Topic.MODELS);
        String commands = topics.name(Topic.COMMANDS);
        String examples = topics.name(Topic.TRAINING_EXAMPLES);
        String predictions = topics.name(Topic.PREDICTIONS);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.from(config.originals()).committedReader(
                topics.clientId("report"), Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            ArrayDeque<ConsumerRecord<byte[], byte[]>> pendingCommands = new ArrayDeque<>();
            long[] earliest = {Long.MAX_VALUE};
            readToEnd(consumer, List.of(models, commands), deadline, timeout, r -> {
                earliest[0] = Math.min(earliest[0], r.timestamp());
                if (r.topic().equals(commands)) {
                    pendingCommands.add(r);
                } else if (r.value() != null) {
                    try {
                        engine.onModelVersion(ModelVersion.parseFrom(r.value()));
                    } catch (InvalidProtocolBufferException e) {
                        engine.onBadRecord(r.topic(), r.partition(), r.offset(), e.getMessage());
                    }
                }
            });
            List<ConsumerRecord<byte[], byte[]>> sortedCommands = new ArrayList<>(pendingCommands);
            sortedCommands.sort(java.util.Comparator.comparingLong(ConsumerRecord::timestamp));
            ArrayDeque<ConsumerRecord<byte[], byte[]>> queue = new ArrayDeque<>(sortedCommands);
            readToEnd(consumer, List.of(examples, predictions), deadline, timeout, r -> {
                earliest[0] = Math.min(earliest[0], r.timestamp());
                while (!queue.isEmpty() && queue.peekFirst().timestamp() <= r.timestamp()) {
                    feedCommand(engine, queue.pollFirst());
                }
                feedData(engine, examples, r);
            });
            queue.forEach(c -> feedCommand(engine, c));
            engine.evaluate();
            engine.monitoringSince(earliest[0] == Long.MAX_VALUE ? engine.report().generatedAtMs() : earliest[0]);
            MonitorReport report = engine.report();
            log.info("Read {} labelled predictions, {} logged predictions, {} versions and {} actions of model '{}'.",
                report.examplesSeen(), report.labelCoverage().predictionsLogged(), report.versions().size(),
                report.actions().size(), report.model());
            return report;
        }
    }

    private static void feedCommand(MonitorEngine engine, ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return;
        }
        try {
            engine.onCommand(Command.parseFrom(r.value()));
        } catch (InvalidProtocolBufferException e) {
            engine.onBadRecord(r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    private static void feedData(MonitorEngine engine, String examples, ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            engine.onBadRecord(r.topic(), r.partition(), r.offset(), "no value");
            return;
        }
        try {
            if (r.topic().equals(examples)) {
                engine.onTrainingExample(r.partition(), r.offset(), TrainingExample.parseFrom(r.value()));
            } else {
                engine.onPrediction(PredictionLogEntry.parseFrom(r.value()));
            }
        } catch (InvalidProtocolBufferException e) {
            engine.onBadRecord(r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    private static void readToEnd(KafkaConsumer<byte[], byte[]> consumer, List<String> topics, long deadline,
                                  Duration timeout,
                                  java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(topic, remaining(deadline));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                infos = List.of();
            }
            if (infos == null || infos.isEmpty()) {
                throw new KafkaException("Topic " + topic + " does not exist (or the cluster did not answer within "
                    + timeout.toSeconds() + " s); check the bootstrap servers and the topics prefix");
            }
            infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, remaining(deadline));
        while (!end.entrySet().stream().allMatch(e -> consumer.position(e.getKey(), remaining(deadline)) >= e.getValue())) {
            if (System.nanoTime() > deadline) {
                throw new KafkaException("Could not read " + topics + " to their end within " + timeout.toSeconds()
                    + " s; allow more time");
            }
            consumer.poll(Duration.ofMillis(200)).forEach(sink);
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(1_000_000L, deadline - System.nanoTime()));
    }
}
