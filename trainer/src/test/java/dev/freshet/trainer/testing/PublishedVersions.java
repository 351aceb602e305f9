package dev.freshet.trainer.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The versions a trainer published, read from a models topic as tests need them. The topic holds more records than
 * versions: each version is written again without its checkpoint when the next one is published, and versions
 * leaving the retained window get tombstones. This keeps one record per version, the first (as published, with
 * its checkpoint), and skips tombstones.
 */
public final class PublishedVersions {
    private PublishedVersions() {
    }

    /** Waits until {@code count} distinct versions are on the topic; returns them, lowest version first. */
    public static List<ModelVersion> await(KafkaTestCluster cluster, String modelsTopic, int count,
                                           Duration timeout) {
        return firstRecords(cluster.consumeUntil(modelsTopic, seen -> firstRecords(seen).size() >= count, timeout));
    }

    /** The first record of each version among {@code records}, tombstones skipped, lowest version first. */
    public static List<ModelVersion> firstRecords(List<ConsumerRecord<byte[], byte[]>> records) {
        TreeMap<Long, ModelVersion> byVersion = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.value() != null) {
                ModelVersion mv = parse(record.value());
                byVersion.putIfAbsent(mv.getVersion(), mv);
            }
        }
        return new ArrayList<>(byVersion.values());
    }

    public static ModelVersion parse(byte[] bytes) {
        try {
            return ModelVersion.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
