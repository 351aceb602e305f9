package dev.freshet.featurestore.internal.view;

import java.util.HashMap;
import java.util.Map;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.internal.view.Rejection.Reason;

/**
 * The window arithmetic of one view: folds an entity's events into its {@link EntityState} and computes its
 * features. A window of length {@code W} ending at the entity's newest event time {@code T} holds the events
 * with event time in {@code (T - W, T]}. An event older than {@code T - (longest window + grace)} is late and
 * refused; any other out-of-order event updates the windows it falls in. Stateless and thread-safe.
 */
public final class FeatureComputer {
    private final FeatureView view;
    private final long longestWindowMs;
    private final long lateThresholdMs;

    public FeatureComputer(FeatureView view) {
        this.view = view;
        this.longestWindowMs = view.longestWindow().toMillis();
        this.lateThresholdMs = longestWindowMs + view.grace().toMillis();
    }

    /**
     * Folds the event into the state, or returns the {@code LATE_EVENT} rejection and leaves the state as it was.
     *
     * @return null when the event was folded in
     */
    public Rejection apply(EntityState state, Event event) {
        long t = event.eventTimeMs();
        if (!state.isEmpty() && t < state.newestEventTimeMs() - lateThresholdMs) {
            long cutoff = state.newestEventTimeMs() - lateThresholdMs;
            return new Rejection(Reason.LATE_EVENT, "event time " + t + " is " + (state.newestEventTimeMs() - t)
                + " ms older than entity '" + event.entityId() + "''s newest event time " + state.newestEventTimeMs()
                + "; events may be at most " + lateThresholdMs + " ms older (longest window " + longestWindowMs
                + " ms + grace " + view.grace().toMillis() + " ms), i.e. at or after " + cutoff, view.eventTimePath());
        }
        // Ties go to the later arrival, so a corrected event with the same time replaces what is shown.
        if (state.isEmpty() || t >= state.newestEventTimeMs()) {
            state.advance(t, event.values());
        }
        if (longestWindowMs > 0) {
            long windowStartExclusive = state.newestEventTimeMs() - longestWindowMs;
            if (t > windowStartExclusive) {
                state.insert(new EntityState.Sample(t, aggregatedValues(event)));
            }
            state.evictUpTo(windowStartExclusive);
        }
        return null;
    }

    /** The entity's features: encoded pass-through values of its newest event, then the aggregations. */
    public Map<String, Double> features(EntityState state) {
        Map<String, Double> out = new HashMap<>();
        FeatureEncoder.encode(view, state.latestValues(), out);
        for (Aggregation aggregation : view.aggregations()) {
            Double value = aggregate(state, aggregation);
            if (value != null) {
                out.put(aggregation.name(), value);
            }
        }
        return out;
    }

    /** The aggregation over the window ending at the newest event time, or null when it has no value (no values). */
    Double aggregate(EntityState state, Aggregation aggregation) {
        long startExclusive = state.newestEventTimeMs() - aggregation.window().toMillis();
        long count = 0;
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (EntityState.Sample sample : state.samples()) {
            if (sample.eventTimeMs() <= startExclusive) {
                continue;
            }
            if (aggregation.field() == null) {
                count++;
                continue;
            }
            Double value = sample.values().get(aggregation.field());
            if (value != null) {
                count++;
                sum += value;
                min = Math.min(min, value);
                max = Math.max(max, value);
            }
        }
        return switch (aggregation.function()) {
            case COUNT -> (double) count;
            case SUM -> sum;
            case MEAN -> count == 0 ? null : sum / count;
            case MIN -> count == 0 ? null : min;
            case MAX -> count == 0 ? null : max;
        };
    }

    private Map<String, Double> aggregatedValues(Event event) {
        Map<String, Double> values = new HashMap<>();
        for (Aggregation aggregation : view.aggregations()) {
            if (aggregation.field() != null && event.values().get(aggregation.field()) instanceof Double d) {
                values.put(aggregation.field(), d);
            }
        }
        return values;
    }
}
