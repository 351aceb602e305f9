package dev.freshet.featurestore.internal.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureViewRegistry.Written;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads and writes the registry of feature views, the compacted topic {@code <prefix>feature-views} (key: view
 * name, value: {@link FeatureViewRecord}). Writes are transactional, so the views of one apply become visible
 * together or not at all; reads are {@code read_committed}. Stateless; each call opens and closes its clients.
 */
public final class RegistryTopic {
    private static final Logger log = LoggerFactory.getLogger(RegistryTopic.class);

    private final KafkaClients clients;
    private final String bootstrapServers;
    private final String topic;

    public RegistryTopic(KafkaClients clients, TopicLayout layout) {
        this.clients = clients;
        this.bootstrapServers = clients.bootstrapServers();
        this.topic = layout.name(Topic.FEATURE_VIEWS);
    }

    public String name() {
        return topic;
    }

    /** Whether the registry topic exists (the launcher creates it; a test may not). */
    public boolean exists(Duration timeout) {
        try (Admin admin = clients.admin()) {
            return admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).contains(topic);
        } catch (ExecutionException | TimeoutException e) {
            throw new FeatureStoreException("Cannot list the topics at " + bootstrapServers + " (" + e
                + "); check bootstrap.servers.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FeatureStoreException("Interrupted while looking for the topic " + topic + ".", e);
        }
    }

    /**
     * Every view's newest record, read from the beginning to the end the topic had when the call began.
     *
     * @return by view name; views deleted with a tombstone are absent
     * @throws FeatureStoreException when the topic cannot be read within the timeout
     */
    public Map<String, FeatureViewRecord> readAll(Duration timeout) {
        Map<String, FeatureViewRecord> views = new TreeMap<>();
        readToEnd(timeout, record -> apply(views, record));
        return views;
    }

    /**
     * Every record the topic still holds, in the order it was written (per partition; the registry has one):
     * compaction keeps each view's newest record and removes older ones once their segment is closed.
     *
     * @throws FeatureStoreException when the topic cannot be read within the timeout
     */
    public List<Written> readHistory(Duration timeout) {
        List<Written> history = new ArrayList<>();
        readToEnd(timeout, record -> {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                history.add(new Written(record.timestamp(), record.key(), null));
                return;
            }
            try {
                history.add(new Written(record.timestamp(), record.key(), FeatureViewRecord.parseFrom(record.value())));
            } catch (InvalidProtocolBufferException e) {
                log.warn("Skipped the record at {}-{} offset {} of the feature view registry: it is not a "
                    + "FeatureViewRecord ({}).", record.topic(), record.partition(), record.offset(), e.getMessage());
            }
        });
        history.sort(java.util.Comparator.comparingLong(Written::writtenAtMs));
        return history;
    }

    private void readToEnd(Duration timeout, java.util.function.Consumer<ConsumerRecord<String, byte[]>> each) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, timeout);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!caughtUp(consumer, end)) {
                if (System.nanoTime() > deadline) {
                    throw new FeatureStoreException("Could not read the registry topic " + topic + " to its end within "
                        + timeout.toMillis() + " ms; check that the cluster at " + bootstrapServers + " is up.");
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    each.accept(record);
                }
            }
        } catch (KafkaException e) {
            throw new FeatureStoreException("Cannot read the registry topic " + topic + " at " + bootstrapServers
                + " (" + e.getMessage() + ").", e);
        }
    }

    /** Folds one registry record into the map of views. Records that are not a view are logged and skipped. */
    static void apply(Map<String, FeatureViewRecord> views, ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            log.warn("Skipped a record without a key at {}-{} offset {} of the feature view registry.",
                record.topic(), record.partition(), record.offset());
            return;
        }
        if (record.value() == null) {
            views.remove(record.key());
            return;
        }
        try {
            views.put(record.key(), FeatureViewRecord.parseFrom(record.value()));
        } catch (InvalidProtocolBufferException e) {
            log.warn("Skipped the record at {}-{} offset {} of the feature view registry: it is not a "
                + "FeatureViewRecord ({}).", record.topic(), record.partition(), record.offset(), e.getMessage());
        }
    }

    /**
     * Writes the records in one transaction: all become visible to {@code read_committed} readers, or none.
     *
     * @throws FeatureStoreException when the transaction fails (nothing is registered then)
     */
    public void publish(List<FeatureViewRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        // A fresh id per apply: applies never overlap in one writer, and fencing a concurrent apply would only
        // turn a race between two people into an error for one of them.
        String transactionalId = topic + "-apply-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer = clients.transactionalProducer(transactionalId,
                Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000), new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            try {
                for (FeatureViewRecord record : records) {
                    producer.send(new ProducerRecord<>(topic, record.getName(), record.toByteArray()));
                }
                producer.commitTransaction();
            } catch (KafkaException e) {
                producer.abortTransaction();
                throw e;
            }
        } catch (KafkaException e) {
            throw new FeatureStoreException("Could not write to the registry topic " + topic + " at "
                + bootstrapServers + " (" + e.getMessage() + "); nothing was registered.", e);
        }
    }

    KafkaConsumer<String, byte[]> consumer() {
        return clients.committedReader(null, Map.of(), new StringDeserializer(),
            new ByteArrayDeserializer());
    }

    List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, Duration timeout) {
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), Duration.ofSeconds(5).toNanos());
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        // A topic created a moment ago may not be in this client's metadata yet.
        while ((infos == null || infos.isEmpty()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            infos = consumer.partitionsFor(topic, timeout);
        }
        if (infos == null || infos.isEmpty()) {
            throw new FeatureStoreException("The registry topic " + topic + " does not exist; create it (compacted) "
                + "or let freshet run create it.");
        }
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        return partitions;
    }

    private static boolean caughtUp(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }
}
