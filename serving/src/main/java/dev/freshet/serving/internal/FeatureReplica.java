package dev.freshet.serving.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.contracts.RecordKeys;
import dev.freshet.proto.features.v1.FeatureVector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local copy of the compacted features topic, in RocksDB, fed by a follower that reads every partition from the
 * beginning. The topic is keyed {@code <view>/<entity id>} (split at the first '/', since a view name never holds
 * one): the replica keeps each view's newest vector per entity and answers a lookup with every view's values
 * merged (see {@link EntityViews}). A tombstone removes one view's vector of one entity. A key without '/' (the
 * format before feature views were named in keys) is kept as the entity's unnamed view, used until a named view
 * writes the entity. Serving instances in other processes build the same copy from the same topic. Lookups are
 * thread-safe; records are applied on the follower's thread only.
 */
final class FeatureReplica implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FeatureReplica.class);

    private final RocksStore store;
    private final Counters counters;
    private final String topic;
    private final Runnable onCaughtUp;
    private final TopicFollower follower;
    private final Set<String> reportedClashes = new HashSet<>();
    private boolean caughtUpReported;

    /**
     * @param onCaughtUp called once, on the follower's thread, when the replica holds everything the topic held
     *                   when it started
     * @param liveness   told when the replica stops following the topic for good
     */
    FeatureReplica(RocksStore store, KafkaClients clients, String topic, String clientId, Counters counters,
                   Runnable onCaughtUp, Liveness liveness) {
        this.store = store;
        this.counters = counters;
        this.topic = topic;
        this.onCaughtUp = onCaughtUp;
        this.follower = new TopicFollower(clientId, clients, List.of(topic), this::apply, liveness,
            "feature replica");
    }

    /**
     * The entity's current features, every view's merged, in a new map the caller owns, with room for
     * {@code extraCapacity} more entries; null when the replica holds none. Never blocks on Kafka.
     */
    HashMap<String, Double> lookup(String entityId, int extraCapacity) {
        byte[] bytes = store.get(entityId.getBytes(StandardCharsets.UTF_8));
        if (bytes == null) {
            return null;
        }
        try {
            return EntityViews.mergedValues(bytes, extraCapacity);
        } catch (RuntimeException e) {
            // Only records this class wrote are stored, so this is a broken replica, not bad input.
            throw new IllegalStateException("The feature replica holds an unreadable record for an entity", e);
        }
    }

    boolean caughtUp() {
        return follower.caughtUp();
    }

    private void apply(ConsumerRecords<String, byte[]> records, boolean caughtUp) {
        for (ConsumerRecord<String, byte[]> record : records) {
            apply(record);
        }
        if (caughtUp && !caughtUpReported) {
            caughtUpReported = true;
            onCaughtUp.run();
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        Optional<RecordKeys.FeatureKey> parsed = RecordKeys.parseFeatureKey(key);
        // A key without a '/' is the format before views were named in keys: the bare entity id, an unnamed view.
        boolean legacy = key != null && !key.isEmpty() && key.indexOf('/') < 0;
        if (parsed.isEmpty() && !legacy) {
            log.warn("Skipped a feature vector with key '{}' at {}-{} offset {}: the key must be "
                + "'<view>/<entity id>'.", key, record.topic(), record.partition(), record.offset());
            return;
        }
        String view = legacy ? EntityViews.LEGACY_VIEW : parsed.get().view();
        String entityId = legacy ? key : parsed.get().entityId();
        FeatureVector vector = null;
        if (record.value() != null) {
            try {
                vector = FeatureVector.parseFrom(record.value());
            } catch (InvalidProtocolBufferException e) {
                log.warn("Skipped a corrupt record for entity '{}' at {}-{} offset {}: it is not a FeatureVector.",
                    key, record.topic(), record.partition(), record.offset());
                return;
            }
        }
        byte[] storeKey = entityId.getBytes(StandardCharsets.UTF_8);
        EntityViews before = stored(storeKey, entityId);
        EntityViews after = vector == null ? before.without(view) : before.with(view, vector);
        if (after.isEmpty()) {
            store.delete(storeKey);
        } else {
            List<String> clashes = new ArrayList<>();
            store.put(storeKey, after.encode(clashes));
            reportClashes(entityId, clashes);
        }
        if (vector != null) {
            counters.featureVectorsReplicated.increment();
        }
        log.debug("Replicated {} of view '{}' for entity '{}' from {}.", vector == null ? "the removal"
            : "the features", view, entityId, topic);
    }

    private EntityViews stored(byte[] storeKey, String entityId) {
        byte[] bytes = store.get(storeKey);
        if (bytes == null) {
            return EntityViews.empty();
        }
        try {
            return EntityViews.decode(bytes);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            log.error("The replica's record of entity '{}' is unreadable; rebuilding it from the next records only.",
                entityId);
            return EntityViews.empty();
        }
    }

    // Once per feature and pair of views: the registry refuses such views, so this is old data, not a new problem.
    private void reportClashes(String entityId, List<String> clashes) {
        for (String clash : clashes) {
            if (reportedClashes.size() < 1000 && reportedClashes.add(clash)) {
                log.warn("Entity '{}' in topic {}: {}. Two views must not define the same feature name; "
                    + "re-register one of them under other names.", entityId, topic, clash);
            }
        }
    }

    /** Stops the follower. The store is closed by its owner. */
    @Override
    public void close() {
        follower.close();
    }
}
