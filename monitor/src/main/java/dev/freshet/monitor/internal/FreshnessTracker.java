package dev.freshet.monitor.internal;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import dev.freshet.monitor.MonitorReport.Freshness;

/**
 * Label-to-serving freshness, computed exactly from the topics as the facts arrive. Not thread-safe.
 *
 * <p>The example at (partition p, offset o) of the training-examples topic is covered by every version V with
 * input_offsets[p] &gt; o. Its freshness is the earliest first-served time among covering versions minus the
 * time its label arrived. Serving always moves to the newest version, so the earliest-served covering version is
 * the lowest covering version that ever served; a covering version that never served (superseded before any
 * request reached it) is passed over, because the label only reached users through a later one. An example is
 * settled as soon as one covering version has served: a lower covering version whose first prediction is read
 * later still could only make the figure smaller, which would mean a prediction logged out of order.
 */
final class FreshnessTracker {
    private static final int MAX_PENDING = 1_000_000;

    private final Map<Integer, ArrayDeque<long[]>> pendingByPartition = new HashMap<>();
    private final Map<Long, Map<Integer, Long>> inputOffsets = new HashMap<>();
    private final Map<Long, Long> firstServedAt = new HashMap<>();
    private long[] settled = new long[1024];
    private int settledCount;
    private long pending;
    private long overflow;
    private boolean dirty;

    /** Records a labelled example waiting to be covered. */
    void addExample(int partition, long offset, long labelArrivedAtMs) {
        if (pending >= MAX_PENDING) {
            overflow++;
            return;
        }
        pendingByPartition.computeIfAbsent(partition, p -> new ArrayDeque<>())
            .addLast(new long[] {offset, labelArrivedAtMs});
        pending++;
        dirty = true;
    }

    /** Records which training-example offsets {@code version} has learned from. */
    void addVersion(long version, Map<Integer, Long> offsets) {
        inputOffsets.put(version, Map.copyOf(offsets));
        dirty = true;
    }

    /** Records a prediction served by {@code version} at {@code servedAtMs}. */
    void served(long version, long servedAtMs) {
        Long previous = firstServedAt.get(version);
        if (previous == null || servedAtMs < previous) {
            firstServedAt.put(version, servedAtMs);
            dirty = true;
        }
    }

    /** Settles every pending example that a served version now covers. */
    void resolve() {
        if (!dirty) {
            return;
        }
        dirty = false;
        for (Map.Entry<Integer, ArrayDeque<long[]>> entry : pendingByPartition.entrySet()) {
            resolvePartition(entry.getKey(), entry.getValue());
        }
    }

    Freshness snapshot() {
        long[] sorted = Arrays.copyOf(settled, settledCount);
        Arrays.sort(sorted);
        if (sorted.length == 0) {
            return new Freshness(0, pending + overflow, null, null, null);
        }
        return new Freshness(sorted.length, pending + overflow,
            nearestRank(sorted, 0.50), nearestRank(sorted, 0.90), nearestRank(sorted, 0.99));
    }

    private void resolvePartition(int partition, ArrayDeque<long[]> queue) {
        if (queue.isEmpty()) {
            return;
        }
        // Covering versions of this partition that served, by the offset they cover up to; for each, the
        // earliest first-served time among it and every version covering more.
        TreeMap<Long, Long> earliestServedCoveringFrom = new TreeMap<>();
        for (Map.Entry<Long, Long> served : firstServedAt.entrySet()) {
            Map<Integer, Long> offsets = inputOffsets.get(served.getKey());
            Long next = offsets == null ? null : offsets.get(partition);
            if (next != null) {
                earliestServedCoveringFrom.merge(next, served.getValue(), Math::min);
            }
        }
        if (earliestServedCoveringFrom.isEmpty()) {
            return;
        }
        long running = Long.MAX_VALUE;
        for (Map.Entry<Long, Long> e : earliestServedCoveringFrom.descendingMap().entrySet()) {
            running = Math.min(running, e.getValue());
            e.setValue(running);
        }
        while (!queue.isEmpty()) {
            long[] example = queue.peekFirst();
            Map.Entry<Long, Long> covering = earliestServedCoveringFrom.higherEntry(example[0]);
            if (covering == null) {
                return;
            }
            queue.pollFirst();
            pending--;
            settle(covering.getValue() - example[1]);
        }
    }

    private void settle(long freshnessMs) {
        if (settledCount == settled.length) {
            settled = Arrays.copyOf(settled, settled.length * 2);
        }
        settled[settledCount++] = freshnessMs;
    }

    private static long nearestRank(long[] sorted, double quantile) {
        int rank = (int) Math.ceil(quantile * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }
}
