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
 */
public record FeatureStoreStats(
        long eventsIn,
        long featureVectorsOut,
        Map<String, Long> deadLettered,
        long labelsIn,
        long trainingExamplesOut,
        long predictionsExpiredUnlabelled) {

    public FeatureStoreStats {
        deadLettered = Map.copyOf(deadLettered);
    }

    /** Total records dead-lettered, whatever the reason. */
    public long deadLetteredTotal() {
        return deadLettered.values().stream().mapToLong(Long::longValue).sum();
    }
}
