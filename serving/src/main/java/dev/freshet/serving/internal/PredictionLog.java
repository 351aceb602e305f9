package dev.freshet.serving.internal;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.serving.ServingException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every served prediction to the prediction-log topic (key: request id), asynchronously: a failed write
 * is counted and logged, never reported to the caller. Thread-safe.
 */
final class PredictionLog implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PredictionLog.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final Counters counters;

    /**
     * @throws ServingException if the topic does not exist or the cluster cannot be reached
     */
    PredictionLog(String bootstrapServers, String topic, String clientId, Counters counters) {
        this.topic = topic;
        this.counters = counters;
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        // Fewer, larger produce requests: at thousands of predictions a second this saves the producer and the
        // brokers far more work than the 20 ms costs the label join, whose labels arrive seconds later.
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        // send() runs on the request path: when the buffer is full, give up quickly and count the loss.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 200);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        awaitTopicMetadata(bootstrapServers);
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

    /** Queues the entry for writing; returns at once. */
    void append(PredictionLogEntry entry) {
        try {
            producer.send(new ProducerRecord<>(topic, entry.getRequestId(), entry.toByteArray()),
                (metadata, error) -> {
                    if (error != null) {
                        failed(entry.getRequestId(), error);
                    }
                });
        } catch (KafkaException | IllegalStateException e) {
            failed(entry.getRequestId(), e);
        }
    }

    private void failed(String requestId, Exception error) {
        counters.predictionLogFailures.increment();
        long failures = counters.predictionLogFailures.sum();
        // One line per thousand failures: an unreachable broker must not flood the log.
        if (failures == 1 || failures % 1000 == 0) {
            log.warn("Could not write prediction '{}' to topic '{}' ({}); {} predictions are missing from the "
                + "log so far, so labels for them will not be joined.", requestId, topic, error.getMessage(),
                failures);
        }
    }

    /** Flushes what is queued and closes the producer, waiting a bounded time. */
    @Override
    public void close() {
        try {
            producer.flush();
        } catch (KafkaException e) {
            log.warn("Could not flush the prediction log to topic '{}' on close: {}", topic, e.getMessage());
        }
        producer.close(CLOSE_TIMEOUT);
    }
}
