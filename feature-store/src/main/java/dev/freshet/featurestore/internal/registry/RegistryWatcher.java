package dev.freshet.featurestore.internal.registry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import dev.freshet.contracts.Liveness;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the registry topic from its beginning on a daemon thread and hands the whole registry (newest record per
 * view) to a listener after each batch that changed it. No consumer group: every instance reads every record.
 */
public final class RegistryWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RegistryWatcher.class);
    /** How the watcher is named in the feature store's liveness. */
    public static final String STAGE = "registry watcher";

    private final KafkaConsumer<String, byte[]> consumer;
    private final Consumer<Map<String, FeatureViewRecord>> listener;
    private final Thread thread;
    private final Map<String, FeatureViewRecord> views = new TreeMap<>();
    private volatile Map<String, FeatureViewRecord> current;
    private final Liveness liveness;
    private volatile boolean running = true;

    /**
     * Reads the registry to its current end before returning, then follows it.
     *
     * @param listener called on the watcher's thread with an immutable snapshot after each later change; must not
     *     block for long
     * @param liveness told when the watcher stops following the registry other than by {@link #close()}
     * @throws dev.freshet.featurestore.FeatureStoreException when the registry cannot be read within the timeout
     */
    public RegistryWatcher(RegistryTopic topic, Duration timeout, Consumer<Map<String, FeatureViewRecord>> listener,
            Liveness liveness) {
        this.consumer = topic.consumer();
        this.listener = listener;
        this.liveness = liveness;
        try {
            List<TopicPartition> partitions = topic.partitions(consumer, timeout);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!caughtUp(end)) {
                if (System.nanoTime() > deadline) {
                    throw new dev.freshet.featurestore.FeatureStoreException("Could not read the registry topic "
                        + topic.name() + " to its end within " + timeout.toMillis() + " ms.");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> RegistryTopic.apply(views, record));
            }
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        this.current = Map.copyOf(views);
        this.thread = new Thread(this::loop, "feature-store-registry");
        thread.setDaemon(true);
        thread.start();
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** The registry as last read. */
    public Map<String, FeatureViewRecord> current() {
        return current;
    }

    private void loop() {
        try {
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                for (ConsumerRecord<String, byte[]> record : records) {
                    RegistryTopic.apply(views, record);
                }
                Map<String, FeatureViewRecord> snapshot = Map.copyOf(views);
                if (!snapshot.equals(current)) {
                    current = snapshot;
                    try {
                        listener.accept(snapshot);
                    } catch (RuntimeException e) {
                        log.error("Could not act on a change of the feature view registry; the views running are "
                            + "unchanged until the next change.", e);
                    }
                }
            }
        } catch (WakeupException e) {
            // close() woke us up.
        } catch (RuntimeException | Error e) {
            if (running) {
                // The stack trace is for whoever debugs it; the operator's line is the liveness record.
                log.debug("The registry watcher stopped on an unexpected failure.", e);
                liveness.stopped(STAGE, "it no longer follows the registry topic after " + e
                    + "; views applied from now on will not run here until this instance restarts");
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
