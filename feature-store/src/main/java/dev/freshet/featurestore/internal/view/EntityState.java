package dev.freshet.featurestore.internal.view;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the store keeps per entity: the newest event time, the pass-through values of the newest event, and the
 * events still inside the longest window (oldest first), enough for exact trailing-window results.
 * Mutable; confined to the thread processing the entity.
 */
public final class EntityState {
    private long newestEventTimeMs;
    private boolean empty;
    private Map<String, Object> latestValues;
    private final List<Sample> samples;

    EntityState(boolean empty, long newestEventTimeMs, Map<String, Object> latestValues, List<Sample> samples) {
        this.empty = empty;
        this.newestEventTimeMs = newestEventTimeMs;
        this.latestValues = new HashMap<>(latestValues);
        this.samples = new ArrayList<>(samples);
    }

    /** The state of an entity no event has been seen for. */
    public static EntityState empty() {
        return new EntityState(true, Long.MIN_VALUE, Map.of(), List.of());
    }

    public boolean isEmpty() {
        return empty;
    }

    /** Event time of the newest event folded in; meaningless when {@link #isEmpty()}. */
    public long newestEventTimeMs() {
        return newestEventTimeMs;
    }

    Map<String, Object> latestValues() {
        return latestValues;
    }

    List<Sample> samples() {
        return samples;
    }

    void advance(long eventTimeMs, Map<String, Object> values) {
        empty = false;
        newestEventTimeMs = eventTimeMs;
        latestValues = new HashMap<>(values);
    }

    /** Inserts in event-time order; an event with the same time as earlier ones goes after them. */
    void insert(Sample sample) {
        int i = samples.size();
        while (i > 0 && samples.get(i - 1).eventTimeMs() > sample.eventTimeMs()) {
            i--;
        }
        samples.add(i, sample);
    }

    /** Drops events at or before {@code cutoffMs}: no window ending at or after the newest time can hold them. */
    void evictUpTo(long cutoffMs) {
        int n = 0;
        while (n < samples.size() && samples.get(n).eventTimeMs() <= cutoffMs) {
            n++;
        }
        samples.subList(0, n).clear();
    }

    /**
     * One event inside the window: its time and the values of the aggregated fields it carried (absent
     * optional fields are missing from the map).
     */
    record Sample(long eventTimeMs, Map<String, Double> values) {
    }
}
