package dev.freshet.featurestore;

import java.util.Map;

/**
 * Counts since this feature store instance started (not restored after a restart). Immutable snapshot.
 *
 * @param eventsIn event records read from the events topic, good or bad
 * @param featureVectorsOut feature vectors written to the features topic
 * @param deadLettered records written to the dead-letter topic, by reason (e.g. {@code MALFORMED_JSON}),
 *     plus records that could only be counted; never null, only reasons seen at least once
 * @param labelsIn label records read from the labels topic, good or bad
 * @param trainingExamplesOut training examples written by the label join
 * @param predictionsExpiredUnlabelled logged predictions whose label did not arrive within
 *     {@code featurestore.label.wait.ms} (the complement of label coverage)
 * @param labelsLeftOut labels that made no training example, by the reason they were dead-lettered (e.g.
 *     {@code MALFORMED_LABEL}, {@code UNMATCHED_LABEL}, {@code LABEL_BEFORE_FEATURES}); also counted in
 *     {@code deadLettered}; never null, only reasons seen at least once
 */
public record FeatureStoreStats(
        long eventsIn,
        long featureVectorsOut,
        Map<String, Long> deadLettered,
        long labelsIn,
        long trainingExamplesOut,
        long predictionsExpiredUnlabelled,
        Map<String, Long> labelsLeftOut) {

    public FeatureStoreStats {
        deadLettered = Map.copyOf(deadLettered);
        labelsLeftOut = Map.copyOf(labelsLeftOut);
    }

    /** No counts yet. */
    public static FeatureStoreStats none() {
        return new FeatureStoreStats(0, 0, Map.of(), 0, 0, 0, Map.of());
    }

    /** These counts and {@code other}'s, added (e.g. two applications' of one feature store). */
    public FeatureStoreStats plus(FeatureStoreStats other) {
        return new FeatureStoreStats(eventsIn + other.eventsIn, featureVectorsOut + other.featureVectorsOut,
            merged(deadLettered, other.deadLettered), labelsIn + other.labelsIn,
            trainingExamplesOut + other.trainingExamplesOut,
            predictionsExpiredUnlabelled + other.predictionsExpiredUnlabelled, merged(labelsLeftOut,
                other.labelsLeftOut));
    }

    /** Total labels dead-lettered, whatever the reason. */
    public long labelsLeftOutTotal() {
        return labelsLeftOut.values().stream().mapToLong(Long::longValue).sum();
    }

    private static Map<String, Long> merged(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> sum = new java.util.TreeMap<>(a);
        b.forEach((reason, n) -> sum.merge(reason, n, Long::sum));
        return sum;
    }

    /** Total records dead-lettered, whatever the reason. */
    public long deadLetteredTotal() {
        return deadLettered.values().stream().mapToLong(Long::longValue).sum();
    }
}
