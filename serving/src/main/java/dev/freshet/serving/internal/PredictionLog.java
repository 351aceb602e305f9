package dev.freshet.serving.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.locks.LockSupport;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.serving.ServingException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every served prediction to the prediction-log topic (key: request id), off the request path: a call
 * hands over what it scored and returns; a writer thread encodes each {@link LoggedPrediction} and gives it to the
 * Kafka producer, a batch at a time. A failed write (or a full queue) is counted and logged, never
 * reported to the caller. {@link #close()} writes everything handed over before it and flushes. Thread-safe.
 */
final class PredictionLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PredictionLog.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    // About ten seconds of a busy instance's predictions; beyond it the broker is not keeping up and waiting on it
    // would make callers wait too.
    private static final int QUEUE_CAPACITY = 1 << 16;
    private static final int DRAIN_BATCH = 1024;
    // The writer sleeps when the queue is empty rather than being woken by every append: a wake-up per
    // prediction costs more than the prediction. It sleeps no longer than the producer lingers, at most this.
    private static final long MAX_IDLE_PARK_NANOS = 10_000_000;

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final Counters counters;
    private final ArrayBlockingQueue<LoggedPrediction> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Callback onWritten = this::written;
    private final long idleParkNanos;
    private final Thread writer;
    private final Liveness liveness;
    private volatile boolean closing;

    /**
     * @param liveness told when the writer thread stops for good (never when {@link #close()} stops it)
     * @throws ServingException if the topic does not exist or the cluster cannot be reached
     */
    PredictionLog(KafkaClients clients, String topic, String clientId, int lingerMs, Counters counters,
                  Liveness liveness) {
        this.topic = topic;
        this.counters = counters;
        this.liveness = liveness;
        this.idleParkNanos = Math.max(100_000, Math.min(MAX_IDLE_PARK_NANOS, lingerMs * 1_000_000L));
        Map<String, Object> tuning = new HashMap<>();
        // Fewer, larger produce requests: much of a request's cost to the broker does not depend on its size (for
        // the embedded broker on 2 cores, about a millisecond of CPU each), so at thousands of predictions a second
        // lingering saves far more work than the delay costs the label join, whose labels arrive seconds later.
        tuning.put(ProducerConfig.LINGER_MS_CONFIG, lingerMs);
        tuning.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
        // Only the writer thread waits here; give up after a while and count the loss rather than stall the log.
        tuning.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
        this.producer = clients.idempotentProducer(clientId, tuning, new StringSerializer(), new ByteArraySerializer());
        awaitTopicMetadata(clients.bootstrapServers());
        this.writer = new Thread(this::run, clientId + "-writer");
        writer.setDaemon(true);
        writer.start();
    }

    // Fetch the topic's metadata now, so the first Predict call does not wait for it.
    private void awaitTopicMetadata(String bootstrapServers) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                producer.partitionsFor(topic);
                return;
            } catch (KafkaException e) {
                if (System.nanoTime() > deadline) {
                    producer.close(Duration.ZERO);
                    throw new ServingException(String.format("Topic '%s' does not exist or %s cannot be reached "
                        + "(%s); create the topic (the launcher does) or check topics.prefix and bootstrap.servers.",
                        topic, bootstrapServers, e.getMessage()), e);
                }
            }
        }
    }

    /** Hands predictions over for writing, in order; returns at once. */
    void append(List<LoggedPrediction> predictions) {
        for (LoggedPrediction prediction : predictions) {
            append(prediction);
        }
    }

    private void append(LoggedPrediction prediction) {
        // A call cancelled by shutdownNow may still finish scoring after close(); count what nobody will write.
        if (closing && !writer.isAlive()) {
            failed(new IllegalStateException("the prediction log was closed"));
            return;
        }
        if (!queue.offer(prediction)) {
            failed(new IllegalStateException(closing ? "the server is shutting down"
                : "more than " + QUEUE_CAPACITY + " predictions are waiting for the broker"));
        }
    }

    private void run() {
        try {
            writeUntilClosed();
        } catch (RuntimeException | Error e) {
            if (!closing) {
                log.debug("The prediction-log writer failed.", e);
                liveness.stopped("prediction log", String.format("the writer of topic '%s' stopped after an "
                    + "unexpected error (%s: %s), so answered predictions are no longer logged; restart the serving "
                    + "instance.", topic, e.getClass().getSimpleName(), e.getMessage()));
            }
            if (e instanceof Error error) {
                throw error;
            }
        }
    }

    private void writeUntilClosed() {
        List<LoggedPrediction> batch = new ArrayList<>(DRAIN_BATCH);
        while (true) {
            // Read the flag before draining: once closing is seen, one more full drain empties the queue.
            boolean last = closing;
            if (queue.drainTo(batch, DRAIN_BATCH) == 0) {
                if (last) {
                    return;
                }
                LockSupport.parkNanos(idleParkNanos);
                continue;
            }
            for (LoggedPrediction prediction : batch) {
                write(prediction);
            }
            batch.clear();
        }
    }

    private void write(LoggedPrediction prediction) {
        try {
            producer.send(new ProducerRecord<>(topic, prediction.key(), prediction.encode()), onWritten);
        } catch (KafkaException | IllegalStateException e) {
            failed(e);
        } catch (RuntimeException e) {
            // A bug encoding one entry must not stop the log.
            log.error("Could not encode a prediction-log entry; it is missing from topic '{}'.", topic, e);
            counters.predictionLogFailures.increment();
        }
    }

    private void written(RecordMetadata metadata, Exception error) {
        if (error != null) {
            failed(error);
        }
    }

    private void failed(Exception error) {
        counters.predictionLogFailures.increment();
        long failures = counters.predictionLogFailures.sum();
        // One line per thousand failures: an unreachable broker must not flood the log.
        if (failures == 1 || failures % 1000 == 0) {
            log.warn("Could not write a prediction to topic '{}' ({}); {} predictions are missing from the log so "
                + "far, so labels for them will not be joined.", topic, error.getMessage(), failures);
        }
    }

    /** Writes what was handed over, flushes and closes the producer, waiting a bounded time. */
    @Override
    public void close() {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(CLOSE_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            log.warn("The prediction log had not handed {} predictions to the producer after {}; they are lost.",
                queue.size(), CLOSE_TIMEOUT);
        }
        try {
            producer.flush();
        } catch (KafkaException e) {
            log.warn("Could not flush the prediction log to topic '{}' on close: {}", topic, e.getMessage());
        }
        producer.close(CLOSE_TIMEOUT);
    }
}
