package dev.freshet.serving.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import dev.freshet.contracts.KafkaAccessException;
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
 * Writes every served prediction to the prediction-log topic (key: request id), in one of two modes
 * ({@code serving.prediction.log.durability}):
 * <ul>
 * <li>{@link Durability#ASYNC}: off the request path. A call hands over what it scored and returns; a writer thread
 * encodes each {@link LoggedPrediction} and gives it to the Kafka producer, a batch at a time. A failed write (or a
 * full queue) is counted and logged, never reported to the caller, and what was handed over but not yet
 * acknowledged is lost if the process dies.</li>
 * <li>{@link Durability#ACKED}: on the request path. {@link #append} returns once the broker has acknowledged every
 * record (acks=all, idempotent), and throws otherwise, so an answer is never sent for a prediction the log lacks.</li>
 * </ul>
 * {@link #close()} writes everything handed over before it and flushes. Thread-safe.
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
    // Longest a Predict waits for its records' acknowledgement in acked mode before answering UNAVAILABLE.
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);

    /** When an answered prediction is in the log. */
    enum Durability {
        /** Some time after the answer; lost if the process dies first. */
        ASYNC,
        /** Before the answer: the broker acknowledged it. */
        ACKED;

        static Durability parse(String configured) {
            return valueOf(configured.toUpperCase(java.util.Locale.ROOT));
        }
    }

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final Counters counters;
    private final ArrayBlockingQueue<LoggedPrediction> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Callback onWritten = this::written;
    private final long idleParkNanos;
    private final Durability durability;
    private final Thread writer; // null in acked mode, where each call sends its own records
    private final Liveness liveness;
    private final String identity;
    private volatile boolean closing;

    /**
     * @param lingerMs how long the producer gathers records in async mode; acked mode sends at once, since every
     *                 caller waits (records of concurrent calls still share a request while one is in flight)
     * @param liveness told when the writer thread stops for good (never when {@link #close()} stops it)
     * @throws ServingException if the topic does not exist or the cluster cannot be reached
     */
    PredictionLog(KafkaClients clients, String topic, String clientId, Durability durability, int lingerMs,
                  Counters counters, Liveness liveness) {
        this.topic = topic;
        this.durability = durability;
        this.counters = counters;
        this.liveness = liveness;
        this.identity = clients.identity();
        this.idleParkNanos = Math.max(100_000, Math.min(MAX_IDLE_PARK_NANOS, lingerMs * 1_000_000L));
        Map<String, Object> tuning = new HashMap<>();
        // Fewer, larger produce requests: much of a request's cost to the broker does not depend on its size (for
        // the embedded broker on 2 cores, about a millisecond of CPU each), so at thousands of predictions a second
        // lingering saves far more work than the delay costs the label join, whose labels arrive seconds later.
        tuning.put(ProducerConfig.LINGER_MS_CONFIG, durability == Durability.ACKED ? 0 : lingerMs);
        tuning.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
        // Give up after a while and count the loss (async) or answer UNAVAILABLE (acked) rather than stall.
        tuning.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 1000);
        this.producer = clients.idempotentProducer(clientId, tuning, new StringSerializer(), new ByteArraySerializer());
        awaitTopicMetadata(clients.bootstrapServers());
        if (durability == Durability.ACKED) {
            this.writer = null;
            return;
        }
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
                // A refused password or ACL does not go away by waiting; the launcher names it.
                if (System.nanoTime() > deadline || KafkaAccessException.find(e, identity, null).isPresent()) {
                    producer.close(Duration.ZERO);
                    throw new ServingException(String.format("Topic '%s' does not exist or %s cannot be reached "
                        + "(%s); create the topic (the launcher does) or check topics.prefix and bootstrap.servers.",
                        topic, bootstrapServers, e.getMessage()), e);
                }
            }
        }
    }

    /**
     * Writes predictions, in order: in async mode hands them over and returns at once; in acked mode returns once
     * the broker has acknowledged every one.
     *
     * @throws PredictionLogUnavailableException in acked mode, if a record was refused or not acknowledged within
     *                                           ten seconds; the caller must not answer
     */
    void append(List<LoggedPrediction> predictions) {
        if (durability == Durability.ACKED) {
            appendAcked(predictions);
            return;
        }
        for (LoggedPrediction prediction : predictions) {
            append(prediction);
        }
    }

    private void appendAcked(List<LoggedPrediction> predictions) {
        List<Future<RecordMetadata>> sent = new ArrayList<>(predictions.size());
        try {
            for (LoggedPrediction prediction : predictions) {
                sent.add(producer.send(new ProducerRecord<>(topic, prediction.key(), prediction.encode())));
            }
            long deadline = System.nanoTime() + ACK_TIMEOUT.toNanos();
            for (Future<RecordMetadata> one : sent) {
                one.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (ExecutionException e) {
            throw unavailable(e.getCause());
        } catch (TimeoutException e) {
            throw unavailable(new TimeoutException("not acknowledged within " + ACK_TIMEOUT.toSeconds() + " s"));
        } catch (KafkaException | IllegalStateException e) {
            throw unavailable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(e);
        }
    }

    private PredictionLogUnavailableException unavailable(Throwable cause) {
        Exception error = cause instanceof Exception e ? e : new IllegalStateException(cause);
        failed(error);
        return new PredictionLogUnavailableException(String.format("the prediction could not be written to the "
            + "prediction log (%s), so it was not answered; retry.", error.getMessage()));
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
        // Without WRITE on the topic every prediction would go missing from the log, and from training, unseen: the
        // stage stops, health turns NOT_SERVING and the launcher exits naming the ACL.
        KafkaAccessException.find(error, identity, "writing predictions to topic '" + topic + "'").ifPresent(
            refusal -> liveness.stopped("prediction log", refusal.getMessage()));
        long failures = counters.predictionLogFailures.sum();
        // One line per thousand failures: an unreachable broker must not flood the log.
        if (failures != 1 && failures % 1000 != 0) {
            return;
        }
        if (durability == Durability.ACKED) {
            log.warn("Could not write a prediction to topic '{}' ({}); its call was answered UNAVAILABLE instead, "
                + "{} so far.", topic, error.getMessage(), failures);
        } else {
            log.warn("Could not write a prediction to topic '{}' ({}); {} predictions are missing from the log so "
                + "far, so labels for them will not be joined.", topic, error.getMessage(), failures);
        }
    }

    /** Writes what was handed over and closes the producer, waiting a bounded time. */
    @Override
    public void close() {
        closing = true;
        if (writer != null) {
            awaitWriter();
        }
        // Not flush(), which waits without bound (up to the producer's delivery timeout, minutes, for a deleted
        // topic); close waits as long for what was sent, within CLOSE_TIMEOUT.
        producer.close(CLOSE_TIMEOUT);
    }

    private void awaitWriter() {
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
    }
}
