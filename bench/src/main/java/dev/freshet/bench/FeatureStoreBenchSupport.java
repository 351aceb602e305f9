package dev.freshet.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;

import dev.freshet.contracts.KafkaClients;
import dev.freshet.contracts.Topic;
import dev.freshet.contracts.TopicLayout;
import dev.freshet.embedded.EmbeddedKafkaBroker;
import dev.freshet.featurestore.FeatureStore;
import dev.freshet.featurestore.FeatureStoreConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** What the feature-store benchmarks share: the topics, the view with three windowed aggregations, the events. */
final class FeatureStoreBenchSupport {
    static final long T0 = 1_764_000_000_000L;
    static final String VIEW = """
        name: bench
        entity: entity_id
        event_time: event_time
        grace: 30s
        fields:
          - {name: amount, type: number}
          - {name: velocity, type: number}
          - {name: channel, type: string}
          - {name: is_new_device, type: boolean}
        aggregations:
          - {name: events_10m, function: count, window: 10m}
          - {name: amount_sum_1h, function: sum, field: amount, window: {type: tumbling, size: 1h}}
          - {name: amount_mean_hop, function: mean, field: amount, window: {type: hopping, size: 1h, advance: 10m}}
        """;
    private static final String[] CHANNELS = {"web", "app", "pos"};

    private FeatureStoreBenchSupport() {
    }

    /** The feature store's topics. */
    static void createTopics(EmbeddedKafkaBroker broker, TopicLayout layout) throws Exception {
        BenchTopics.create(KafkaClients.of(broker.bootstrapServers()), layout, Topic.EVENTS, Topic.LABELS,
            Topic.DEAD_LETTER, Topic.FEATURES, Topic.PREDICTIONS, Topic.TRAINING_EXAMPLES);
    }

    /**
     * Events in event-time order, round-robin over the entities, one every 10 ms of event time, on the events topic.
     *
     * @throws IllegalStateException when a send failed
     */
    static void produceEvents(EmbeddedKafkaBroker broker, TopicLayout layout, int events, int entities) {
        String topic = layout.name(Topic.EVENTS);
        CheckedSends sends = new CheckedSends("the events to " + topic);
        try (KafkaProducer<String, byte[]> producer = KafkaClients.of(broker.bootstrapServers()).idempotentProducer(
                 null, Map.of("linger.ms", 20, "batch.size", 256 * 1024), new StringSerializer(),
                 new ByteArraySerializer())) {
            for (int i = 0; i < events; i++) {
                String entity = "u-" + (i % entities);
                String json = String.format(Locale.ROOT, "{\"event_id\":\"e-%d\",\"entity_id\":\"%s\","
                    + "\"event_time\":%d,\"amount\":%.2f,\"velocity\":%.3f,\"channel\":\"%s\",\"is_new_device\":%s}",
                    i, entity, T0 + 10L * i, (i * 7919 % 10_000) / 100.0, (i % 97) / 97.0, CHANNELS[i % 3],
                    i % 11 == 0);
                sends.send(producer, new ProducerRecord<>(topic, null, json.getBytes(StandardCharsets.UTF_8)));
            }
            sends.flushAndCheck(producer);
        }
    }

    static FeatureStore startStore(EmbeddedKafkaBroker broker, TopicLayout layout, Path dir) throws Exception {
        return startStore(broker, layout, dir, VIEW, Map.of());
    }

    /** @param extra further {@code FeatureStoreConfig} keys, overriding the defaults */
    static FeatureStore startStore(EmbeddedKafkaBroker broker, TopicLayout layout, Path dir, String viewYaml,
            Map<String, ?> extra) throws Exception {
        Path view = dir.resolve("bench-view.yaml");
        Files.writeString(view, viewYaml);
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, layout.prefix());
        props.put(FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString());
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.putAll(extra);
        return FeatureStore.start(props);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
