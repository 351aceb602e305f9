package dev.freshet.serving;

import java.util.Map;

import io.grpc.Status;

/**
 * A snapshot of what a {@link ScoringServer} has done since it started. Immutable.
 *
 * @param predictionsServed       calls (Predict, PredictBatch, PredictStream) that ended with status OK
 * @param entitiesScored          predictions made: one per Predict, one per entity of a batch or stream
 * @param failuresByStatus        calls that ended with another status, by status code (never contains OK);
 *                                deadlines that passed count as DEADLINE_EXCEEDED, callers that left as CANCELLED
 * @param currentModelVersion     the version of the model being served now (the champion), 0 while none has loaded
 * @param challengerModelVersion  the challenger's version in challenger or shadow rollout mode, 0 when none
 * @param newestPublishedVersion  the newest version of the served model seen in the registry, barred or not
 *                                (0 while none); differs from {@code currentModelVersion} after a rollback or
 *                                while a new version loads
 * @param swaps                   times the served version was replaced by another (the first load is not a swap)
 * @param featureVectorsReplicated feature-vector records copied from the features topic into the local replica
 * @param predictionLogFailures   predictions that could not be written to the prediction log topic
 */
public record ServingStats(
        long predictionsServed,
        long entitiesScored,
        Map<Status.Code, Long> failuresByStatus,
        long currentModelVersion,
        long challengerModelVersion,
        long newestPublishedVersion,
        long swaps,
        long featureVectorsReplicated,
        long predictionLogFailures) {

    public ServingStats {
        failuresByStatus = Map.copyOf(failuresByStatus);
    }

    /** Failed Predict calls with {@code code}, 0 when there were none. */
    public long failures(Status.Code code) {
        return failuresByStatus.getOrDefault(code, 0L);
    }
}
