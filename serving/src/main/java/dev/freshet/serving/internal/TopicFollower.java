package dev.freshet.serving.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.freshet.contracts.KafkaAccessException;
import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Liveness;
import dev.freshet.serving.ServingException;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads every partition of some topics from the beginning, forever, on its own thread, and hands each batch to
 * a handler on that thread. No consumer group: every serving instance keeps a full replica. Committed records
 * only ({@code read_committed}).
 */
final class TopicFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);
    // A consumer that only assigns partitions says nothing when their topic is deleted: it just reads nothing,
    // forever. Asking now and then turns that into a stop health can report.
    private static final long TOPIC_CHECK_INTERVAL_NANOS = Duration.ofSeconds(5).toNanos();
    private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(5);

    /** Receives batches on the follower's thread. */
    interface BatchHandler {
        /**
         * @param records  the batch, possibly empty
         * @param caughtUp true once the follower has read everything the topics held when it started
         */
        void handle(ConsumerRecords<String, byte[]> records, boolean caughtUp);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<TopicPartition, Long> endOffsetsAtStart;
    private final BatchHandler handler;
    private final Thread thread;
    private final String description;
    private final List<String> topics;
    private final Liveness liveness;
    private final String identity;
    private final String stage;
    private long nextTopicCheckNanos = System.nanoTime() + TOPIC_CHECK_INTERVAL_NANOS;
    private volatile boolean running = true;
    private volatile boolean caughtUp;

    /**
     * Assigns every partition of {@code topics} and starts reading.
     *
     * @param liveness told (as {@code stage}) when reading stops for good: a topic deleted, an unexpected error;
     *                 never when {@link #close()} stops it
     * @throws ServingException if a topic does not exist or the cluster cannot be reached
     */
    TopicFollower(String threadName, KafkaClients clients, List<String> topics, BatchHandler handler,
                  Liveness liveness, String stage) {
        this.handler = handler;
        this.description = String.join(", ", topics);
        this.topics = List.copyOf(topics);
        this.liveness = liveness;
        this.stage = stage;
        this.identity = clients.identity();
        // close() waits for the fetch the broker is holding open; a short hold keeps shutdown quick, and new
        // records are still returned as soon as they arrive.
        this.consumer = clients.committedReader(threadName, Map.of(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100),
            new StringDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
                if (infos == null || infos.isEmpty()) {
                    throw new ServingException(String.format(
                        "Topic '%s' does not exist; create it (the launcher does) or check topics.prefix.", topic));
                }
                infos.forEach(info -> partitions.add(new TopicPartition(info.topic(), info.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            this.endOffsetsAtStart = consumer.endOffsets(partitions, Duration.ofSeconds(10));
        } catch (KafkaException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw new ServingException(String.format("Could not read topics %s from %s: %s",
                description, clients.bootstrapServers(), e.getMessage()), e);
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether everything the topics held at start has been handed to the handler. */
    boolean caughtUp() {
        return caughtUp;
    }

    private void run() {
        try {
            while (running && topicsExist()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(POLL_TIMEOUT);
                if (!caughtUp && reachedStartEnd()) {
                    caughtUp = true;
                    log.debug("Caught up with topics {}.", description);
                }
                try {
                    handler.handle(records, caughtUp);
                } catch (RuntimeException e) {
                    // A bug in a handler must not stop the replica; the batch's records are lost to it, so say so.
                    log.error("Failed to apply a batch of {} records from topics {}; continuing with the next batch.",
                        records.count(), description, e);
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop.
        } catch (RuntimeException | Error e) {
            if (running) {
                log.debug("Reading topics {} failed.", description, e);
                liveness.stopped(stage, KafkaAccessException.find(e, identity, "reading topics " + description)
                    .map(RuntimeException::getMessage)
                    .orElseGet(() -> String.format("stopped reading topics %s after an unexpected error (%s: %s); "
                        + "restart the serving instance.", description, e.getClass().getSimpleName(),
                        e.getMessage())));
            }
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            consumer.close(CloseOptions.timeout(CLOSE_TIMEOUT));
        }
    }

    // False (and the stop reported) once a followed topic is gone; true while the cluster cannot say, which is not
    // a reason to stop.
    private boolean topicsExist() {
        long now = System.nanoTime();
        if (now < nextTopicCheckNanos) {
            return true;
        }
        nextTopicCheckNanos = now + TOPIC_CHECK_INTERVAL_NANOS;
        Set<String> existing;
        try {
            existing = consumer.listTopics(TOPIC_CHECK_TIMEOUT).keySet();
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            log.debug("Could not check that topics {} still exist: {}", description, e.getMessage());
            return true;
        }
        for (String topic : topics) {
            if (!existing.contains(topic)) {
                if (running) {
                    liveness.stopped(stage, String.format("topic '%s' was deleted while this instance read it; "
                        + "recreate it (the launcher creates the loop's topics at start) and restart the serving "
                        + "instance.", topic));
                }
                return false;
            }
        }
        return true;
    }

    private boolean reachedStartEnd() {
        for (Map.Entry<TopicPartition, Long> end : endOffsetsAtStart.entrySet()) {
            if (consumer.position(end.getKey()) < end.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Stops reading and closes the consumer; waits a bounded time for the thread. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(CLOSE_TIMEOUT.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("The reader of topics {} did not stop within {}; abandoning it.", description,
                CLOSE_TIMEOUT.multipliedBy(2));
        }
    }
}
