package dev.freshet.featurestore.internal.runtime;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.freshet.featurestore.FeatureStoreException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Where the events topic ends, and how far an application has read it (its committed offsets). Thread-safe. */
final class Offsets implements AutoCloseable {
    private static final long CALL_TIMEOUT_MS = 10_000;

    private final Admin admin;
    private final String topic;

    /** @param admin owned from now on: closed with this */
    Offsets(Admin admin, String topic) {
        this.admin = admin;
        this.topic = topic;
    }

    /** The end offset of each partition of the topic now. */
    Map<TopicPartition, Long> endOffsets() {
        try {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames()
                .get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> end = new HashMap<>();
            admin.listOffsets(request).all().get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .forEach((tp, info) -> end.put(tp, info.offset()));
            return end;
        } catch (ExecutionException | TimeoutException e) {
            throw new FeatureStoreException("Cannot read the end offsets of " + topic + " (" + e + ").", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FeatureStoreException("Interrupted while reading the end offsets of " + topic + ".", e);
        }
    }

    /** The application's committed offsets on the topic; a partition it never committed is absent. */
    Map<TopicPartition, Long> committed(String applicationId) {
        try {
            Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(applicationId)
                .partitionsToOffsetAndMetadata().get(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Map<TopicPartition, Long> mine = new HashMap<>();
            all.forEach((tp, offset) -> {
                if (tp.topic().equals(topic) && offset != null) {
                    mine.put(tp, offset.offset());
                }
            });
            return mine;
        } catch (ExecutionException | TimeoutException e) {
            throw new FeatureStoreException("Cannot read the offsets of the application '" + applicationId + "' ("
                + e + ").", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FeatureStoreException("Interrupted while reading the offsets of '" + applicationId + "'.", e);
        }
    }

    /** Whether {@code committed} is at or past {@code target} on every partition of the target (absent: 0). */
    boolean reached(Map<TopicPartition, Long> committed, Map<TopicPartition, Long> target) {
        for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
            if (committed.getOrDefault(e.getKey(), 0L) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Waits until the application's committed offsets reach the target; false when the timeout passes first. */
    boolean awaitCommitted(String applicationId, Map<TopicPartition, Long> target, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!reached(committed(applicationId), target)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
