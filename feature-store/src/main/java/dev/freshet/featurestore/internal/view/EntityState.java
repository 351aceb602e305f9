package dev.freshet.featurestore.internal.view;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the store keeps per entity: the two newest event times, the pass-through values of the newest event, the
 * events still inside some trailing window (oldest first), the running aggregates of the tumbling and hopping
 * windows not yet expired, the sessions of the session windows not yet expired, the request ids of its recent events
 * and the labels that may still be shown. Mutable; confined to the thread processing the entity.
 */
public final class EntityState {
    /** Request ids remembered per entity, so that a label can be placed at its own event's time. */
    static final int RECENT_REQUESTS = 64;

    private long newestEventTimeMs;
    private long previousEventTimeMs;
    private boolean empty;
    private Map<String, Object> latestValues;
    private final List<Sample> samples;
    private final List<RequestTime> recentRequests;
    private final List<KnownLabel> labels;
    private final Map<String, TreeMap<Long, WindowPartial>> windows;
    private final Map<String, TreeMap<Long, SessionWindow>> sessions;

    EntityState(boolean empty, long newestEventTimeMs, long previousEventTimeMs, Map<String, Object> latestValues,
            List<Sample> samples, List<RequestTime> recentRequests, List<KnownLabel> labels,
            Map<String, TreeMap<Long, WindowPartial>> windows) {
        this(empty, newestEventTimeMs, previousEventTimeMs, latestValues, samples, recentRequests, labels, windows,
            Map.of());
    }

    EntityState(boolean empty, long newestEventTimeMs, long previousEventTimeMs, Map<String, Object> latestValues,
            List<Sample> samples, List<RequestTime> recentRequests, List<KnownLabel> labels,
            Map<String, TreeMap<Long, WindowPartial>> windows, Map<String, TreeMap<Long, SessionWindow>> sessions) {
        this.empty = empty;
        this.newestEventTimeMs = newestEventTimeMs;
        this.previousEventTimeMs = previousEventTimeMs;
        this.latestValues = new HashMap<>(latestValues);
        this.samples = new ArrayList<>(samples);
        this.recentRequests = new ArrayList<>(recentRequests);
        this.labels = new ArrayList<>(labels);
        this.windows = new HashMap<>(windows);
        this.sessions = new HashMap<>(sessions);
    }

    /** The state of an entity no event has been seen for. */
    public static EntityState empty() {
        return new EntityState(true, Long.MIN_VALUE, Long.MIN_VALUE, Map.of(), List.of(), List.of(), List.of(),
            Map.of());
    }

    public boolean isEmpty() {
        return empty;
    }

    /** Event time of the newest event folded in; meaningless when {@link #isEmpty()}. */
    public long newestEventTimeMs() {
        return newestEventTimeMs;
    }

    /** Event time of the newest event before the newest one, or {@code Long.MIN_VALUE} when there is none. */
    long previousEventTimeMs() {
        return previousEventTimeMs;
    }

    Map<String, Object> latestValues() {
        return latestValues;
    }

    /**
     * Records that the latest value of string field {@code field} is beyond the field's vocabulary. Kept among the
     * latest values under a key no field name has (a NUL), so the stored format is unchanged and the next newest
     * event, which replaces the latest values, clears it.
     */
    public void markOverflow(String field) {
        latestValues.put(overflowKey(field), Boolean.TRUE);
    }

    boolean overflowed(String field) {
        return latestValues.containsKey(overflowKey(field));
    }

    private static String overflowKey(String field) {
        return "\u0000overflow\u0000" + field;
    }

    List<Sample> samples() {
        return samples;
    }

    List<RequestTime> recentRequests() {
        return recentRequests;
    }

    List<KnownLabel> labels() {
        return labels;
    }

    /** The running aggregates of each tumbling or hopping aggregation (by its name), by window start. */
    Map<String, TreeMap<Long, WindowPartial>> windows() {
        return windows;
    }

    /** The sessions of each session-window aggregation (by its name) not yet expired, by session start. */
    Map<String, TreeMap<Long, SessionWindow>> sessions() {
        return sessions;
    }

    /** Records an event's time; its values become the latest when it is the newest so far. */
    void observe(long eventTimeMs, Map<String, Object> values) {
        if (empty || eventTimeMs >= newestEventTimeMs) {
            previousEventTimeMs = empty ? Long.MIN_VALUE : newestEventTimeMs;
            newestEventTimeMs = eventTimeMs;
            latestValues = new HashMap<>(values);
            empty = false;
        } else if (eventTimeMs > previousEventTimeMs) {
            previousEventTimeMs = eventTimeMs;
        }
    }

    /** Inserts in event-time order; an event with the same time as earlier ones goes after them. */
    void insert(Sample sample) {
        int i = samples.size();
        while (i > 0 && samples.get(i - 1).eventTimeMs() > sample.eventTimeMs()) {
            i--;
        }
        samples.add(i, sample);
    }

    /** Drops events at or before {@code cutoffMs}: no window still needed can hold them. */
    void evictUpTo(long cutoffMs) {
        int n = 0;
        while (n < samples.size() && samples.get(n).eventTimeMs() <= cutoffMs) {
            n++;
        }
        samples.subList(0, n).clear();
    }

    void rememberRequest(String requestId, long eventTimeMs) {
        recentRequests.removeIf(r -> r.requestId().equals(requestId));
        recentRequests.add(new RequestTime(requestId, eventTimeMs));
        if (recentRequests.size() > RECENT_REQUESTS) {
            recentRequests.remove(0);
        }
    }

    /** The event time of a recent event with this request id, or null when it is not remembered. */
    Long requestTime(String requestId) {
        for (int i = recentRequests.size() - 1; i >= 0; i--) {
            if (recentRequests.get(i).requestId().equals(requestId)) {
                return recentRequests.get(i).eventTimeMs();
            }
        }
        return null;
    }

    /**
     * One event inside some window: its time, the entity's stream time (newest event time) just after it arrived,
     * which decides the windows it came in time for, and the values of the aggregated fields it carried (absent
     * optional fields are missing; strings are hashed to numbers).
     */
    record Sample(long eventTimeMs, long observedAtMs, Map<String, Double> values) {
        Sample(long eventTimeMs, Map<String, Double> values) {
            this(eventTimeMs, eventTimeMs, values);
        }
    }

    /** A recent event's request id and event time. */
    record RequestTime(String requestId, long eventTimeMs) {
    }

    /** A label and the event time of the example it labels. */
    record KnownLabel(long exampleTimeMs, String label) {
    }
}
