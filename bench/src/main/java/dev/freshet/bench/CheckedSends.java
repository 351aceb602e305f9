package dev.freshet.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A benchmark's sends through one producer, each checked: a figure measured on inputs that did not all arrive would
 * be wrong without saying so, so a benchmark sends its inputs here and calls {@link #flushAndCheck} before it
 * measures. Thread-safe.
 */
final class CheckedSends implements Callback {
    private final String what;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acknowledged = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();

    /** @param what the inputs, for the failure message, e.g. "the events" */
    CheckedSends(String what) {
        this.what = what;
    }

    /** Sends {@code record} and counts its outcome. */
    <K, V> void send(Producer<K, V> producer, ProducerRecord<K, V> record) {
        sent.incrementAndGet();
        producer.send(record, this);
    }

    @Override
    public void onCompletion(RecordMetadata metadata, Exception exception) {
        if (exception == null) {
            acknowledged.incrementAndGet();
        } else {
            failed.incrementAndGet();
            firstFailure.compareAndSet(null, exception);
        }
    }

    /**
     * Waits until every send so far has completed, then fails unless every one was acknowledged.
     *
     * @throws IllegalStateException naming how many sends failed and the first failure
     */
    void flushAndCheck(Producer<?, ?> producer) {
        producer.flush();
        check();
        // flush() returns after every callback has run, so a shortfall here is a send that was never answered.
        if (acknowledged.get() != sent.get()) {
            throw new IllegalStateException("Benchmark inputs lost: " + acknowledged.get() + " of " + sent.get()
                + " sends of " + what + " were acknowledged after the producer's flush");
        }
    }

    /**
     * Fails when a send completed with an error so far; sends still in flight are not waited for.
     *
     * @throws IllegalStateException naming how many sends failed and the first failure
     */
    void check() {
        long failures = failed.get();
        if (failures > 0) {
            Exception first = firstFailure.get();
            throw new IllegalStateException("Benchmark inputs lost: " + failures + " of " + sent.get() + " sends of "
                + what + " failed; the first with " + first, first);
        }
    }
}
