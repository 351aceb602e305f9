package dev.freshet.featurestore.internal.view;

import java.util.HashSet;
import java.util.Set;

import dev.freshet.featurestore.FeatureView.Function;

/**
 * The running aggregate of one tumbling, hopping or session window: enough to answer every function without keeping the
 * window's events. Mutable; confined to the thread processing the entity.
 */
final class WindowPartial {
    long count;
    double sum;
    double mean;
    double m2;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    long lastTimeMs = Long.MIN_VALUE;
    double last = Double.NaN;
    final Set<Double> distinct = new HashSet<>();

    /** Folds one value in; {@code keepDistinct} only for a distinct count, whose set is the only unbounded part. */
    void add(long eventTimeMs, double value, boolean keepDistinct) {
        count++;
        sum += value;
        // Welford: the one-pass sum of squares loses all precision for large, close values.
        double delta = value - mean;
        mean += delta / count;
        m2 += delta * (value - mean);
        min = Math.min(min, value);
        max = Math.max(max, value);
        // Ties go to the later arrival, as in a trailing window.
        if (eventTimeMs >= lastTimeMs) {
            lastTimeMs = eventTimeMs;
            last = value;
        }
        if (keepDistinct) {
            distinct.add(value);
        }
    }

    /** Counts an event for a count without a field. */
    void addEvent() {
        count++;
    }

    /** Folds in another partial over disjoint events (two session windows an event merged). */
    void merge(WindowPartial other) {
        if (other.count == 0) {
            return;
        }
        long n = count + other.count;
        // Chan et al.'s pairwise update keeps the variance exact without the events.
        double delta = other.mean - mean;
        m2 += other.m2 + delta * delta * ((double) count * other.count / n);
        mean += delta * other.count / n;
        count = n;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        if (other.lastTimeMs >= lastTimeMs) {
            lastTimeMs = other.lastTimeMs;
            last = other.last;
        }
        distinct.addAll(other.distinct);
    }

    /** The function's value, or null when it has none (no values); a null partial is an empty window. */
    static Double value(WindowPartial partial, Function function) {
        long n = partial == null ? 0 : partial.count;
        switch (function) {
            case COUNT:
                return (double) n;
            case SUM:
                return n == 0 ? 0.0 : partial.sum;
            case DISTINCT_COUNT:
                return n == 0 ? 0.0 : (double) partial.distinct.size();
            default:
                break;
        }
        if (n == 0) {
            return null;
        }
        return switch (function) {
            case MEAN -> partial.sum / n;
            case MIN -> partial.min;
            case MAX -> partial.max;
            case LAST -> partial.last;
            case STDDEV -> Math.sqrt(Math.max(0, partial.m2 / n));
            default -> throw new IllegalStateException("function " + function);
        };
    }
}
