package dev.freshet.featurestore.internal.view;

import static dev.freshet.featurestore.internal.view.TimeMath.minus;
import static dev.freshet.featurestore.internal.view.TimeMath.plus;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

import dev.freshet.contracts.FeatureEncoding;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.FeatureView.Transform;
import dev.freshet.featurestore.FeatureView.WindowType;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.internal.view.Rejection.Reason;

/**
 * The window arithmetic of one view: folds an entity's events (and labels) into its {@link EntityState} and
 * computes its features. {@code T} is the entity's newest event time (its stream time).
 * <ul>
 *   <li>A trailing window of length {@code W} holds the events in {@code (T - W, T]}; an event older than
 *       {@code T - (W + grace)} is too late for it.</li>
 *   <li>A tumbling or hopping window {@code [s, e)} holds the events with time in it that arrived while the
 *       entity's stream time was before {@code e + grace}; the feature is the window holding {@code T} that started
 *       earliest.</li>
 *   <li>A session window is the run of events holding {@code T} with less than the gap between neighbours; an
 *       event joins (and may merge) the sessions less than the gap from it, unless it is older than
 *       {@code T - (gap + grace)}, like an event too late for a trailing window of the gap's length.</li>
 *   <li>An event too late for every window of every aggregation is refused as late (with no windowed
 *       aggregation: an event older than {@code T - grace}); any other updates the windows it came in time for.</li>
 *   <li>The label feature shows the label of the newest example whose event time is strictly before {@code T}.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class FeatureComputer {
    private final FeatureView view;
    private final List<Aggregation> windowed;
    private final long retentionMs;
    private final Set<String> windowNames;
    private final Set<String> sessionNames;

    public FeatureComputer(FeatureView view) {
        this.view = view;
        this.windowed = view.aggregations().stream()
            .filter(a -> a.function() != Function.TIME_SINCE_LAST).toList();
        long retention = 0;
        for (Aggregation aggregation : windowed) {
            if (aggregation.type() == WindowType.TRAILING) {
                retention = Math.max(retention, aggregation.window().toMillis());
            }
        }
        this.retentionMs = retention;
        this.windowNames = new HashSet<>();
        this.sessionNames = new HashSet<>();
        for (Aggregation aggregation : view.aggregations()) {
            if (aggregation.type() == WindowType.TUMBLING || aggregation.type() == WindowType.HOPPING) {
                windowNames.add(aggregation.name());
            } else if (aggregation.type() == WindowType.SESSION) {
                sessionNames.add(aggregation.name());
            }
        }
    }

    /**
     * Folds the event into the state, or returns the {@code LATE_EVENT} rejection and leaves the state as it was.
     *
     * @return null when the event was folded in
     */
    public Rejection apply(EntityState state, Event event) {
        long t = event.eventTimeMs();
        if (!state.isEmpty() && t < state.newestEventTimeMs() && isLate(t, state.newestEventTimeMs())) {
            long newest = state.newestEventTimeMs();
            return new Rejection(Reason.LATE_EVENT, "event time " + t + " is " + minus(newest, t)
                + " ms older than entity '" + event.entityId() + "''s newest event time " + newest
                + "; it is too late for every window (" + lateness() + ")", view.eventTimePath());
        }
        long observedAt = state.isEmpty() ? t : Math.max(state.newestEventTimeMs(), t);
        state.observe(t, event.values());
        if (event.requestId() != null && view.requestIdPath() != null && view.label() != null) {
            state.rememberRequest(event.requestId(), t);
        }
        if (retentionMs > 0) {
            long cutoff = minus(state.newestEventTimeMs(), retentionMs);
            if (t > cutoff) {
                state.insert(new EntityState.Sample(t, observedAt, aggregatedValues(event)));
            }
            state.evictUpTo(cutoff);
        }
        for (Aggregation aggregation : view.aggregations()) {
            if (aggregation.type() == WindowType.TUMBLING || aggregation.type() == WindowType.HOPPING) {
                foldIntoWindows(state, aggregation, event, observedAt);
            } else if (aggregation.type() == WindowType.SESSION && aggregation.function() != Function.TIME_SINCE_LAST) {
                foldIntoSessions(state, aggregation, event, observedAt);
            }
        }
        // Windows of aggregations an earlier version of the view had are never read again.
        state.windows().keySet().retainAll(windowNames);
        state.sessions().keySet().retainAll(sessionNames);
        pruneLabels(state);
        return null;
    }

    /**
     * Adds the event to each window of the aggregation that holds it and was still open when it arrived, then
     * drops windows that closed more than a window length ago (kept that long so recent results stay readable).
     */
    private void foldIntoWindows(EntityState state, Aggregation aggregation, Event event, long observedAt) {
        long t = event.eventTimeMs();
        long size = aggregation.window().toMillis();
        long advance = aggregation.advance().toMillis();
        long grace = view.graceOf(aggregation).toMillis();
        TreeMap<Long, WindowPartial> windows = state.windows().computeIfAbsent(aggregation.name(),
            k -> new TreeMap<>());
        Double value = null;
        if (aggregation.field() != null) {
            value = numeric(event.values().get(aggregation.field()));
        }
        if (aggregation.field() == null || value != null) {
            long earliestStart = minus(t, size);
            for (long start = Math.floorDiv(t, advance) * advance; start > earliestStart;
                    start = minus(start, advance)) {
                if (observedAt >= plus(plus(start, size), grace)) {
                    break;
                }
                WindowPartial partial = windows.computeIfAbsent(start, k -> new WindowPartial());
                if (aggregation.field() == null) {
                    partial.addEvent();
                } else {
                    partial.add(t, value, aggregation.function() == Function.DISTINCT_COUNT);
                }
            }
        }
        long newest = state.newestEventTimeMs();
        windows.headMap(minus(minus(minus(newest, size), size), grace), true).clear();
    }

    /**
     * Adds the event to the session it falls in, merging the sessions it bridges, unless it is late for session
     * windows (see {@link #sessionOpen}); then drops the sessions no event in time can reach any more.
     */
    private void foldIntoSessions(EntityState state, Aggregation aggregation, Event event, long observedAt) {
        long t = event.eventTimeMs();
        long gap = aggregation.window().toMillis();
        long grace = view.graceOf(aggregation).toMillis();
        TreeMap<Long, SessionWindow> sessions = state.sessions().computeIfAbsent(aggregation.name(),
            k -> new TreeMap<>());
        Double value = aggregation.field() == null ? null : numeric(event.values().get(aggregation.field()));
        if (sessionOpen(t, gap, grace, observedAt) && (aggregation.field() == null || value != null)) {
            SessionWindow merged = new SessionWindow(t, t, new WindowPartial());
            List<Long> reached = new ArrayList<>();
            // Sessions are disjoint and at least a gap apart, so only those starting before t + gap can reach t,
            // and going back in time, the first one that does not reach t ends the search.
            for (SessionWindow session : sessions.headMap(t + gap, false).descendingMap().values()) {
                if (!session.reaches(t, gap)) {
                    break;
                }
                reached.add(session.startMs);
                merged.absorb(session);
            }
            reached.forEach(sessions::remove);
            if (aggregation.field() == null) {
                merged.partial.addEvent();
            } else {
                merged.partial.add(t, value, aggregation.function() == Function.DISTINCT_COUNT);
            }
            sessions.put(merged.startMs, merged);
        }
        // An event in time is after T - (gap + grace) and reaches only sessions ending after it minus the gap. The
        // newest session is what the feature reads, and stays.
        long reachable = minus(minus(minus(state.newestEventTimeMs(), gap), gap), grace);
        if (!sessions.isEmpty()) {
            sessions.headMap(sessions.lastKey(), false).values().removeIf(session -> session.endMs <= reachable);
        }
    }

    /**
     * Whether an event at {@code t} arriving at stream time {@code streamTime} is in time for a session window:
     * the session it would start on its own would close at {@code t + gap}, and it may arrive until the grace
     * after that, as an event may arrive in a trailing window until the window's length plus the grace after it.
     */
    private static boolean sessionOpen(long t, long gap, long grace, long streamTime) {
        return plus(plus(t, gap), grace) > streamTime;
    }

    /**
     * Records the label of the example with this request id. The example's time is the event time of the
     * entity's event with that request id when the state remembers it (the view declares {@code request_id});
     * otherwise the entity's newest event time, which is safe when the labelled event was ingested before its
     * label arrived (a label follows a prediction, which follows its event).
     *
     * @param requestId the prediction's request id, or null
     * @return whether the label feature shown for the entity changed
     */
    public boolean applyLabel(EntityState state, String requestId, String label) {
        if (view.label() == null || state.isEmpty()) {
            return false;
        }
        Long remembered = requestId == null ? null : state.requestTime(requestId);
        long exampleTimeMs = remembered != null ? remembered : state.newestEventTimeMs();
        return applyLabelAt(state, exampleTimeMs, label);
    }

    /**
     * Records the label of the entity's example at {@code exampleTimeMs} (a label naming the entity and an event
     * time). Like every label, it shows from the entity's first event after that time on.
     *
     * @return whether the label feature shown for the entity changed
     */
    public boolean applyLabelAt(EntityState state, long exampleTimeMs, String label) {
        if (view.label() == null || state.isEmpty()) {
            return false;
        }
        String before = visibleLabel(state);
        state.labels().add(new EntityState.KnownLabel(exampleTimeMs, label));
        pruneLabels(state);
        return !Objects.equals(before, visibleLabel(state));
    }

    /**
     * The one-hot feature a string value beyond its field's vocabulary (featurestore.category.max.values) is
     * encoded as: {@code <field>=__other__}, the name the vocabulary transform uses for values outside its list.
     */
    public static String overflowFeature(String field) {
        return FeatureEncoding.oneHotName(field, Transforms.OTHER);
    }

    /** Adds the view's pass-through fields present in {@code values} (by field name) in the one encoding. */
    void encodeFields(Map<String, Object> values, Map<String, Double> out) {
        for (Field field : view.fields()) {
            Object value = values.get(field.name());
            if (value != null && !field.inputOnly()) {
                FeatureEncoding.encode(field.name(), value, out);
            }
        }
    }

    /** The pass-through fields of the entity's newest event, with values beyond their vocabulary as overflow. */
    private void encodeLatest(EntityState state, Map<String, Double> out) {
        for (Field field : view.fields()) {
            Object value = state.latestValues().get(field.name());
            if (field.inputOnly()) {
                continue;
            }
            if (value instanceof String && state.overflowed(field.name())) {
                out.put(overflowFeature(field.name()), 1.0);
            } else if (value != null) {
                FeatureEncoding.encode(field.name(), value, out);
            }
        }
    }

    /** The entity's features: pass-through values and transforms of its newest event, aggregations, label. */
    public Map<String, Double> features(EntityState state) {
        Map<String, Double> out = new HashMap<>();
        encodeLatest(state, out);
        for (Transform transform : view.transforms()) {
            Transforms.apply(transform, state.latestValues().get(transform.field()), out);
        }
        for (Aggregation aggregation : view.aggregations()) {
            Double value = aggregate(state, aggregation);
            if (value != null) {
                out.put(aggregation.name(), value);
            }
        }
        String label = visibleLabel(state);
        if (label != null) {
            out.put(FeatureEncoding.oneHotName(view.label().name(), label), 1.0);
        }
        return out;
    }

    /** The aggregation's current value (see the class comment), or null when it has none. */
    Double aggregate(EntityState state, Aggregation aggregation) {
        long newest = state.newestEventTimeMs();
        if (aggregation.function() == Function.TIME_SINCE_LAST) {
            return state.isEmpty() || state.previousEventTimeMs() == Long.MIN_VALUE ? null
                : (double) minus(newest, state.previousEventTimeMs());
        }
        if (aggregation.type() == WindowType.TRAILING) {
            return compute(state, aggregation, plus(minus(newest, aggregation.window().toMillis()), 1), newest);
        }
        if (aggregation.type() == WindowType.SESSION) {
            // The newest session holds the newest event: no event is later than it.
            TreeMap<Long, SessionWindow> sessions = state.sessions().get(aggregation.name());
            return WindowPartial.value(sessions == null || sessions.isEmpty() ? null
                : sessions.lastEntry().getValue().partial, aggregation.function());
        }
        long advance = aggregation.advance().toMillis();
        long start = plus(Math.floorDiv(minus(newest, aggregation.window().toMillis()), advance) * advance, advance);
        return window(state, aggregation, start);
    }

    /**
     * The value of the tumbling or hopping window starting at {@code startMs}, or null when it has no value.
     * Known for windows that closed (end + grace) less than one window length before {@code T}; older ones read
     * as empty.
     */
    Double window(EntityState state, Aggregation aggregation, long startMs) {
        TreeMap<Long, WindowPartial> windows = state.windows().get(aggregation.name());
        return WindowPartial.value(windows == null ? null : windows.get(startMs), aggregation.function());
    }

    /** The aggregation over the retained events with time in {@code [fromMs, toMs]}; closed, so no bound wraps. */
    private Double compute(EntityState state, Aggregation aggregation, long fromMs, long toMs) {
        List<Double> values = new ArrayList<>();
        long count = 0;
        for (EntityState.Sample sample : state.samples()) {
            if (sample.eventTimeMs() < fromMs || sample.eventTimeMs() > toMs) {
                continue;
            }
            count++;
            if (aggregation.field() != null) {
                Double value = sample.values().get(aggregation.field());
                if (value != null) {
                    values.add(value);
                }
            }
        }
        if (aggregation.function() == Function.COUNT && aggregation.field() == null) {
            return (double) count;
        }
        return reduce(aggregation.function(), values);
    }

    /** The function over the values in event-time order; null when it has no value for none. */
    static Double reduce(Function function, List<Double> values) {
        int n = values.size();
        switch (function) {
            case COUNT:
                return (double) n;
            case SUM:
                return values.stream().mapToDouble(Double::doubleValue).sum();
            case DISTINCT_COUNT:
                Set<Double> distinct = new HashSet<>(values);
                return (double) distinct.size();
            default:
                break;
        }
        if (n == 0) {
            return null;
        }
        return switch (function) {
            case MEAN -> values.stream().mapToDouble(Double::doubleValue).sum() / n;
            case MIN -> values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
            case MAX -> values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            case LAST -> values.get(n - 1);
            case STDDEV -> {
                // Two passes: the one-pass sum-of-squares formula loses all precision for large, close values.
                double mean = values.stream().mapToDouble(Double::doubleValue).sum() / n;
                double squares = 0;
                for (double v : values) {
                    squares += (v - mean) * (v - mean);
                }
                yield Math.sqrt(squares / n);
            }
            default -> throw new IllegalStateException("function " + function);
        };
    }

    private boolean isLate(long t, long newest) {
        if (windowed.isEmpty()) {
            return t < newest - view.grace().toMillis();
        }
        for (Aggregation aggregation : windowed) {
            long grace = view.graceOf(aggregation).toMillis();
            long size = aggregation.window().toMillis();
            if (aggregation.type() == WindowType.TRAILING) {
                if (t >= minus(newest, plus(size, grace))) {
                    return false;
                }
            } else if (aggregation.type() == WindowType.SESSION) {
                if (sessionOpen(t, size, grace, newest)) {
                    return false;
                }
            } else {
                long advance = aggregation.advance().toMillis();
                long lastEnd = plus(Math.floorDiv(t, advance) * advance, size);
                if (newest < plus(lastEnd, grace)) {
                    return false;
                }
            }
        }
        return true;
    }

    private String lateness() {
        if (windowed.isEmpty()) {
            return "events may be at most " + view.grace().toMillis() + " ms older (grace)";
        }
        List<String> parts = new ArrayList<>();
        for (Aggregation aggregation : windowed) {
            parts.add(aggregation.name() + ": " + aggregation.type().name().toLowerCase(java.util.Locale.ROOT)
                + (aggregation.type() == WindowType.SESSION ? " window with gap " : " window ")
                + aggregation.window().toMillis() + " ms, grace " + view.graceOf(aggregation).toMillis() + " ms");
        }
        return String.join("; ", parts);
    }

    private Map<String, Double> aggregatedValues(Event event) {
        Map<String, Double> values = new HashMap<>();
        for (Aggregation aggregation : windowed) {
            if (aggregation.field() == null || aggregation.type() != WindowType.TRAILING) {
                continue;
            }
            Double value = numeric(event.values().get(aggregation.field()));
            if (value != null) {
                values.put(aggregation.field(), value);
            }
        }
        return values;
    }

    /** A field's value as a number: booleans as 1/0, strings (only distinct_count reads them) hashed. */
    private static Double numeric(Object value) {
        if (value instanceof Double d) {
            return d;
        } else if (value instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        } else if (value instanceof String s) {
            // 52 bits of the hash keep it a finite, exact double.
            return (double) (Transforms.fnv1a64(s) >>> 12);
        }
        return null;
    }

    /** The label of the newest example strictly before the newest event, or null. */
    static String visibleLabel(EntityState state) {
        EntityState.KnownLabel best = null;
        for (EntityState.KnownLabel label : state.labels()) {
            if (label.exampleTimeMs() < state.newestEventTimeMs()
                    && (best == null || label.exampleTimeMs() >= best.exampleTimeMs())) {
                best = label;
            }
        }
        return best == null ? null : best.label();
    }

    /** Keeps the visible label and those not yet visible (examples at or after the newest event). */
    private static void pruneLabels(EntityState state) {
        if (state.labels().isEmpty()) {
            return;
        }
        EntityState.KnownLabel keep = null;
        for (EntityState.KnownLabel label : state.labels()) {
            if (label.exampleTimeMs() < state.newestEventTimeMs()
                    && (keep == null || label.exampleTimeMs() >= keep.exampleTimeMs())) {
                keep = label;
            }
        }
        EntityState.KnownLabel kept = keep;
        state.labels().removeIf(l -> l.exampleTimeMs() < state.newestEventTimeMs() && l != kept);
    }
}
