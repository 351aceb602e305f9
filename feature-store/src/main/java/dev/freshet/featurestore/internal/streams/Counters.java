package dev.freshet.featurestore.internal.streams;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import dev.freshet.featurestore.FeatureStoreStats;

/**
 * The feature store's counters, written by stream threads and read by anyone. Thread-safe. In memory only:
 * a record processed again after an aborted transaction is counted again.
 */
public final class Counters {
    final LongAdder eventsIn = new LongAdder();
    final LongAdder featureVectorsOut = new LongAdder();
    final LongAdder labelsIn = new LongAdder();
    final LongAdder trainingExamplesOut = new LongAdder();
    final LongAdder predictionsExpiredUnlabelled = new LongAdder();
    /** Entities removed for being unseen for featurestore.entity.ttl.ms; not in the stats yet. */
    final LongAdder entitiesExpired = new LongAdder();
    private final Map<String, LongAdder> deadLettered = new ConcurrentHashMap<>();

    private final Map<String, LongAdder> labelsLeftOut = new ConcurrentHashMap<>();

    void deadLettered(String reason) {
        deadLettered.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** A label dead-lettered for {@code reason}: counted with the dead letters and as a label left out. */
    void labelLeftOut(String reason) {
        deadLettered(reason);
        labelsLeftOut.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    public FeatureStoreStats snapshot() {
        Map<String, Long> byReason = new TreeMap<>();
        deadLettered.forEach((reason, count) -> byReason.put(reason, count.sum()));
        Map<String, Long> labelsByReason = new TreeMap<>();
        labelsLeftOut.forEach((reason, count) -> labelsByReason.put(reason, count.sum()));
        return new FeatureStoreStats(eventsIn.sum(), featureVectorsOut.sum(), byReason, labelsIn.sum(),
            trainingExamplesOut.sum(), predictionsExpiredUnlabelled.sum(), labelsByReason);
    }
}
