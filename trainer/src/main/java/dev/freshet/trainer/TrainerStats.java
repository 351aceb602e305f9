package dev.freshet.trainer;

import java.util.Map;

/**
 * A point-in-time view of a running {@link Trainer}. Immutable.
 *
 * @param examplesSeen training examples learned by this trainer since it started
 * @param examplesSkipped training examples not learned, by reason ({@code unknown_label}, {@code missing_label},
 *     {@code non_numeric_label}, {@code non_finite_feature}, {@code malformed})
 * @param versionsPublished model versions this trainer published since it started
 * @param currentVersion the version the learning state continues from (the last published, adopted or restored
 *     one); 0 before any
 * @param prequentialAccuracy test-then-train accuracy over the last {@code prequentialWindowExamples} examples;
 *     NaN before any
 * @param prequentialWindowExamples how many examples {@code prequentialAccuracy} covers
 */
public record TrainerStats(long examplesSeen, Map<String, Long> examplesSkipped, long versionsPublished,
                           long currentVersion, double prequentialAccuracy, int prequentialWindowExamples) {
    public TrainerStats {
        examplesSkipped = Map.copyOf(examplesSkipped);
    }

    /** Total examples skipped for any reason. */
    public long totalSkipped() {
        return examplesSkipped.values().stream().mapToLong(Long::longValue).sum();
    }
}
