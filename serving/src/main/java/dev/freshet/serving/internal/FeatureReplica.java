package dev.freshet.serving.internal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.FeatureVector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local copy of the compacted features topic: the newest {@link FeatureVector} per entity, in RocksDB, fed by
 * a follower that reads every partition from the beginning. Serving instances in other processes build the same
 * copy from the same topic. Lookups are thread-safe.
 */
final class FeatureReplica implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureReplica.class);

    private final RocksStore store;
    private final Counters counters;
    private final String topic;
    private final TopicFollower follower;

    FeatureReplica(RocksStore store, String bootstrapServers, String topic, String clientId, Counters counters) {
        this.store = store;
        this.counters = counters;
        this.topic = topic;
        this.follower = new TopicFollower(clientId, bootstrapServers, List.of(topic), this::apply);
    }

    /** The entity's current features, or empty when the replica holds none. Never blocks on Kafka. */
    Optional<FeatureVector> lookup(String entityId) {
        byte[] bytes = store.get(entityId.getBytes(StandardCharsets.UTF_8));
        if (bytes == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(FeatureVector.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            // Only valid records are stored, so this is a broken replica, not bad input.
            throw new IllegalStateException("The feature replica holds an unreadable vector for an entity", e);
        }
    }

    boolean caughtUp() {
        return follower.caughtUp();
    }

    private void apply(ConsumerRecords<String, byte[]> records, boolean caughtUp) {
        for (ConsumerRecord<String, byte[]> record : records) {
            if (record.key() == null) {
                log.warn("Skipped a feature vector without a key at {}-{} offset {}: the key must be the entity id.",
                    record.topic(), record.partition(), record.offset());
                continue;
            }
            byte[] key = record.key().getBytes(StandardCharsets.UTF_8);
            if (record.value() == null) {
                store.delete(key);
                continue;
            }
            try {
                FeatureVector.parseFrom(record.value());
            } catch (InvalidProtocolBufferException e) {
                log.warn("Skipped a corrupt record for entity '{}' at {}-{} offset {}: it is not a FeatureVector.",
                    record.key(), record.topic(), record.partition(), record.offset());
                continue;
            }
            store.put(key, record.value());
            counters.featureVectorsReplicated.increment();
            log.debug("Replicated the features of entity '{}' from {}.", record.key(), topic);
        }
    }

    /** Stops the follower. The store is closed by its owner. */
    @Override
    public void close() {
        follower.close();
    }
}
