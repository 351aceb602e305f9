package dev.freshet.trainer.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** The most recent labelled examples, kept for retraining from scratch. Not thread-safe. */
final class ExampleWindow {
    /** An example: a classification's label id, or a regression's target (label id 0). */
    record Entry(Map<String, Double> features, int labelId, double target, long labelArrivedAtMs) {
        /** A classification example. */
        Entry(Map<String, Double> features, int labelId, long labelArrivedAtMs) {
            this(features, labelId, Double.NaN, labelArrivedAtMs);
        }
    }

    private final int capacity;
    private final ArrayDeque<Entry> entries;

    ExampleWindow(int capacity) {
        this.capacity = capacity;
        this.entries = new ArrayDeque<>(Math.min(capacity, 4096));
    }

    /** False for a window of capacity 0, which keeps nothing (so callers need not build entries for it). */
    boolean keeps() {
        return capacity > 0;
    }

    void add(Entry entry) {
        if (capacity == 0) {
            return;
        }
        if (entries.size() == capacity) {
            entries.removeFirst();
        }
        entries.addLast(entry);
    }

    int size() {
        return entries.size();
    }

    /** The retained examples in label-arrival time order (arrival order among equal times). */
    List<Entry> inTimeOrder() {
        List<Entry> ordered = new ArrayList<>(entries);
        ordered.sort(Comparator.comparingLong(Entry::labelArrivedAtMs));
        return ordered;
    }
}
