package dev.freshet.featurestore.internal.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.featurestore.FeatureStoreException;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureViewRegistry;
import dev.freshet.featurestore.FeatureViewRegistry.EventSample;
import dev.freshet.featurestore.FeatureViewRegistry.Refusals;
import dev.freshet.featurestore.internal.view.EntityState;
import dev.freshet.featurestore.internal.view.Event;
import dev.freshet.featurestore.internal.view.EventParser;
import dev.freshet.featurestore.internal.view.FeatureComputer;
import dev.freshet.featurestore.internal.view.ParseResult;
import dev.freshet.featurestore.internal.view.Rejection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads the newest committed events of the events topic, a bounded number per partition, and tells per view how
 * many the feature store would dead-letter and why: each event goes through the store's own {@link EventParser},
 * then, per entity, through its {@link FeatureComputer}, which refuses late events. An entity's state starts empty at
 * the sample's first event, so lateness is judged among the sampled events only. Reads only; one consumer per call.
 */
public final class EventSampler {
    private EventSampler() {
    }

    /**
     * @param views the views to try, in the order answered
     * @return one sample per view, in order; each with zero events when the topic does not exist or is empty
     * @throws FeatureStoreException when the topic cannot be read to its end within the timeout
     */
    public static List<EventSample> sample(KafkaClients clients, String topic, List<FeatureView> views,
            int eventsPerPartition, Duration timeout) {
        if (eventsPerPartition < 1 || eventsPerPartition > FeatureViewRegistry.MAX_SAMPLE_EVENTS_PER_PARTITION) {
            throw new IllegalArgumentException("events per partition must be from 1 to "
                + FeatureViewRegistry.MAX_SAMPLE_EVENTS_PER_PARTITION + ", not " + eventsPerPartition);
        }
        List<Tally> tallies = views.stream().map(Tally::new).toList();
        // Sampling must never create the topic it looks for.
        Map<String, Object> tuning = Map.of(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = clients.committedReader(null, tuning,
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos != null && !infos.isEmpty()) {
                read(consumer, topic, infos, eventsPerPartition, timeout, tallies);
            }
        } catch (KafkaException e) {
            throw new FeatureStoreException("Cannot sample the events topic " + topic + " at "
                + clients.bootstrapServers() + " (" + e.getMessage() + ").", e);
        }
        return tallies.stream().map(Tally::result).toList();
    }

    private static void read(KafkaConsumer<byte[], byte[]> consumer, String topic, List<PartitionInfo> infos,
            int eventsPerPartition, Duration timeout, List<Tally> tallies) {
        List<TopicPartition> partitions = new ArrayList<>();
        infos.forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        consumer.assign(partitions);
        // Under read_committed these are the last stable offsets: an open transaction's events are not sampled.
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
        for (TopicPartition partition : partitions) {
            consumer.seek(partition, Math.max(begin.get(partition), end.get(partition) - eventsPerPartition));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!reached(consumer, end)) {
            if (System.nanoTime() > deadline) {
                throw new FeatureStoreException("Could not read the newest " + eventsPerPartition + " events of each "
                    + "partition of " + topic + " within " + timeout.toMillis() + " ms.");
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                if (record.offset() < end.get(partition)) {
                    tallies.forEach(t -> t.add(record));
                }
            }
        }
    }

    private static boolean reached(KafkaConsumer<?, ?> consumer, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** One view's verdicts on the sampled events so far. Confined to the sampling thread. */
    private static final class Tally {
        private final FeatureView view;
        private final EventParser parser;
        private final FeatureComputer computer;
        private final Map<String, EntityState> entities = new HashMap<>();
        private final Map<String, Long> counts = new TreeMap<>();
        private final Map<String, String> examples = new HashMap<>();
        private long events;

        Tally(FeatureView view) {
            this.view = view;
            this.parser = new EventParser(view);
            this.computer = new FeatureComputer(view);
        }

        void add(ConsumerRecord<byte[], byte[]> record) {
            events++;
            ParseResult result = parser.parse(record.value());
            Rejection rejection = result instanceof Event event
                ? computer.apply(entities.computeIfAbsent(event.entityId(), id -> EntityState.empty()), event)
                : (Rejection) result;
            if (rejection != null) {
                String reason = rejection.reason().name();
                counts.merge(reason, 1L, Long::sum);
                examples.putIfAbsent(reason, "partition " + record.partition() + " offset " + record.offset() + ": "
                    + rejection.detail());
            }
        }

        EventSample result() {
            Map<String, Refusals> refused = new LinkedHashMap<>();
            counts.forEach((reason, n) -> refused.put(reason, new Refusals(n, examples.get(reason))));
            return new EventSample(view.name(), events, refused);
        }
    }
}
