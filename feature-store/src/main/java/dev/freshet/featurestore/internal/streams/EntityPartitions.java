package dev.freshet.featurestore.internal.streams;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.utils.Utils;

/**
 * The partition an entity's records live on: what Kafka's default partitioner picks for a record keyed by the
 * entity id (UTF-8), and what Kafka Streams' default partitioner picks for the by-entity repartition topics.
 */
final class EntityPartitions {
    private EntityPartitions() {
    }

    static int of(String entityId, int partitions) {
        return Utils.toPositive(Utils.murmur2(entityId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
