package dev.freshet.launcher.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Lineage;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.registry.v1.ModelVersion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the models and dead-letter topics from the beginning and keeps what the demo's summary reports: every
 * published version (without its weights) and the dead-lettered events by reason. Thread-safe.
 */
final class TopicTally implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicTally.class);

    private final String modelsTopic;
    private final String deadLetterTopic;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<Long, ModelVersion> versions = new ConcurrentSkipListMap<>();
    private final Map<String, Long> deadLettersByReason = new ConcurrentHashMap<>();
    private final Map<Long, Boolean> claimedTwice = new ConcurrentHashMap<>();
    /** Only the poll thread touches it. */
    private final Lineage lineage = new Lineage();

    TopicTally(KafkaClients clients, String modelsTopic, String deadLetterTopic, String modelName) {
        this.modelsTopic = modelsTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.consumer = clients.committedReader(null, Map.of(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(modelsTopic, deadLetterTopic)) {
            for (PartitionInfo info : consumer.partitionsFor(topic)) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(() -> pollLoop(modelName), "freshet-demo-tally");
        thread.setDaemon(true);
        thread.start();
    }

    private void pollLoop(String modelName) {
        try {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(modelsTopic)) {
                        recordVersion(record, modelName);
                    } else if (record.topic().equals(deadLetterTopic)) {
                        recordDeadLetter(record);
                    }
                }
            }
        } catch (WakeupException e) {
            // close() woke us to stop
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private void recordVersion(ConsumerRecord<byte[], byte[]> record, String modelName) {
        if (record.value() == null) {
            // A version the trainer deleted as it left the retained window: it was published all the same, and the
            // summary tells what was published.
            return;
        }
        try {
            ModelVersion version = ModelVersion.parseFrom(record.value());
            if (version.getModel().equals(modelName)) {
                // The trainer publishes each version again without its checkpoint once a newer one carries it:
                // the same claim (parent, publication time) read twice is one version, not a race.
                if (lineage.add(version.getVersion(), version.getParentVersion(), version.getPublishedAtMs())
                        == Lineage.Claim.CONFLICTING) {
                    claimedTwice.put(version.getVersion(), true);
                }
                versions.put(version.getVersion(), version.toBuilder().clearTribuoModel().clearLearnerState().build());
            }
        } catch (InvalidProtocolBufferException e) {
            log.warn("Skipped an unreadable record at {}-{} offset {}: {}", record.topic(), record.partition(),
                record.offset(), e.getMessage());
        }
    }

    private void recordDeadLetter(ConsumerRecord<byte[], byte[]> record) {
        String reason;
        try {
            reason = DeadLetter.parseFrom(record.value()).getReason().name();
        } catch (InvalidProtocolBufferException e) {
            reason = "UNREADABLE";
        }
        deadLettersByReason.merge(reason, 1L, Long::sum);
    }

    /** Published versions of the model, oldest first, without their weights. */
    List<ModelVersion> versions() {
        return List.copyOf(versions.values());
    }

    /** True when two records on the models topic claimed {@code version} (two publishers raced for it). */
    boolean claimedTwice(long version) {
        return claimedTwice.getOrDefault(version, false);
    }

    long highestVersion() {
        return versions.keySet().stream().max(Comparator.naturalOrder()).orElse(0L);
    }

    Map<String, Long> deadLettersByReason() {
        return new TreeMap<>(deadLettersByReason);
    }

    long deadLettered() {
        return deadLettersByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
