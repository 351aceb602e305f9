package dev.freshet.launcher.internal;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * What the cluster answered to a producer's sends: how many were sent, confirmed and failed, and the first failure.
 * A send the producer gave up on is lost, so every producer of the launcher passes {@link #callback()} to each send
 * and reports these figures. Thread-safe.
 */
final class SendResults {
    private final LongAdder sent = new LongAdder();
    private final LongAdder confirmed = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();
    private final Callback callback = this::onCompletion;

    /** Counts one send; pass the result to {@code producer.send(record, callback)}. */
    Callback callback() {
        sent.increment();
        return callback;
    }

    private void onCompletion(RecordMetadata metadata, Exception error) {
        if (error == null) {
            confirmed.increment();
        } else {
            failed.increment();
            firstFailure.compareAndSet(null, error);
        }
    }

    long sent() {
        return sent.sum();
    }

    long confirmed() {
        return confirmed.sum();
    }

    long failed() {
        return failed.sum();
    }

    /** The first failure the cluster or the producer reported, if any. */
    Optional<Exception> firstFailure() {
        return Optional.ofNullable(firstFailure.get());
    }

    /** E.g. {@code "1,000 sent, 998 confirmed, 2 failed (first: RecordTooLargeException: ...)"}. */
    String describe() {
        String counts = String.format(java.util.Locale.ROOT, "%,d sent, %,d confirmed, %,d failed", sent(), confirmed(),
            failed());
        return firstFailure()
            .map(e -> counts + " (first: " + e.getClass().getSimpleName() + ": " + e.getMessage() + ")")
            .orElse(counts);
    }
}
