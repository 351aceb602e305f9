package dev.freshet.serving.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.grpc.Status;

/** The figures behind {@link dev.freshet.serving.ServingStats}. Thread-safe, lock-free. */
final class Counters {
    final LongAdder predictionsServed = new LongAdder();
    final LongAdder entitiesScored = new LongAdder();
    final LongAdder swaps = new LongAdder();
    final LongAdder featureVectorsReplicated = new LongAdder();
    final LongAdder predictionLogFailures = new LongAdder();
    final AtomicLong newestPublishedVersion = new AtomicLong();
    private final Map<Status.Code, LongAdder> failures = new ConcurrentHashMap<>();

    void callClosed(Status.Code code) {
        if (code == Status.Code.OK) {
            predictionsServed.increment();
        } else {
            failures.computeIfAbsent(code, c -> new LongAdder()).increment();
        }
    }

    Map<Status.Code, Long> failuresByStatus() {
        Map<Status.Code, Long> copy = new EnumMap<>(Status.Code.class);
        failures.forEach((code, count) -> copy.put(code, count.sum()));
        return copy;
    }
}
