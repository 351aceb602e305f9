package dev.freshet.monitor.internal;

import java.util.Map;
import java.util.TreeMap;

import dev.freshet.monitor.MonitorReport.RollingAccuracy;

/** Accuracy over the last N labelled predictions, remembering which version served each. Not thread-safe. */
final class RollingAccuracyWindow {
    private final int size;
    private final long[] versions;
    private final boolean[] correct;
    private final long[] predictedAtMs;
    private int head;
    private int count;
    private int correctCount;

    RollingAccuracyWindow(int size) {
        this.size = size;
        this.versions = new long[size];
        this.correct = new boolean[size];
        this.predictedAtMs = new long[size];
    }

    void add(long version, boolean isCorrect, long predictedAt) {
        if (count == size) {
            if (correct[head]) {
                correctCount--;
            }
        } else {
            count++;
        }
        versions[head] = version;
        correct[head] = isCorrect;
        predictedAtMs[head] = predictedAt;
        if (isCorrect) {
            correctCount++;
        }
        head = (head + 1) % size;
    }

    RollingAccuracy snapshot() {
        if (count == 0) {
            return new RollingAccuracy(size, 0, 0, null, Map.of(), null, null);
        }
        Map<Long, Integer> byVersion = new TreeMap<>();
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        for (int i = 0; i < count; i++) {
            byVersion.merge(versions[i], 1, Integer::sum);
            from = Math.min(from, predictedAtMs[i]);
            to = Math.max(to, predictedAtMs[i]);
        }
        return new RollingAccuracy(size, count, correctCount, (double) correctCount / count, byVersion, from, to);
    }
}
