package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingestion: events on or off their entity's partition, the features topic's keys, restoring state from the
 * changelog, entity expiry, session windows end to end.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class IngestionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(45);
    private static final long T0 = 1_764_000_000_000L;
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private final List<FeatureStore> started = new ArrayList<>();

    @BeforeEach
    void createTopics(KafkaTestCluster cluster) throws Exception {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(prefix + "events", PARTITIONS, (short) 1))).all().get();
        }
        cluster.createTopics(prefix + "labels", prefix + "dead-letter", prefix + "features", prefix + "predictions",
            prefix + "training-examples");
    }

    @AfterEach
    void closeStores() {
        started.forEach(FeatureStore::close);
    }

    @Test
    void eventsOnAndOffTheirEntitysPartitionMeetInOneState() throws Exception {
        start(dir.resolve("state"));
        // Every entity gets events on its own partition (keyed by it) and on another one (misplaced): all must
        // reach one state, or the count would be split.
        Map<String, Integer> expected = new LinkedHashMap<>();
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String entity = "u-" + (i % 6);
            expected.merge(entity, 1, Integer::sum);
            String json = event("e-" + i, entity, T0 + i * 1_000L, i);
            int home = Utils.toPositive(Utils.murmur2(entity.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
            records.add(i % 2 == 0 ? new ProducerRecord<>(prefix + "events", entity, json)
                : new ProducerRecord<>(prefix + "events", (home + 1) % PARTITIONS, null, json));
        }
        produce(records);

        Map<String, FeatureVector> latest = latestVectors(records.size());
        assertThat(latest).hasSize(6);
        expected.forEach((entity, count) -> assertThat(latest.get("transactions/" + entity).getValuesMap())
            .as(entity).containsEntry("events_10m", (double) count));
    }

    @Test
    void featureVectorsAreKeyedByViewAndEntity() throws Exception {
        start(dir.resolve("state"));
        produce(List.of(new ProducerRecord<>(prefix + "events", "u-1", event("e-1", "u-1", T0, 10))));

        Map<String, FeatureVector> latest = latestVectors(1);
        assertThat(latest).containsOnlyKeys("transactions/u-1");
        assertThat(latest.get("transactions/u-1").getEntityId()).isEqualTo("u-1");
    }

    @Test
    void aRestartWithoutLocalStateRestoresItFromTheChangelog() throws Exception {
        FeatureStore first = start(dir.resolve("first"));
        produce(List.of(new ProducerRecord<>(prefix + "events", "u-1", event("e-1", "u-1", T0, 10)),
            new ProducerRecord<>(prefix + "events", null, event("e-2", "u-1", T0 + 1_000, 20))));
        latestVectors(2);
        first.close();
        started.remove(first);

        // A fresh state directory: what the first instance knew can only come back from the changelog topic.
        FeatureStore second = start(dir.resolve("second"));
        KafkaTestCluster.await("u-1's state restored", TIMEOUT, () -> lookup(second, "u-1") != null);
        assertThat(lookup(second, "u-1").getValuesMap()).containsEntry("events_10m", 2.0)
            .containsEntry("amount_mean_10m", 15.0);
        produce(List.of(new ProducerRecord<>(prefix + "events", "u-1", event("e-3", "u-1", T0 + 2_000, 60))));

        Map<String, FeatureVector> latest = latestVectors(3);
        assertThat(latest.get("transactions/u-1").getValuesMap()).containsEntry("events_10m", 3.0)
            .containsEntry("amount_mean_10m", 30.0).containsEntry("amount_max_10m", 60.0);
        // It read only the new event: the first two came back as state, not by processing them again.
        assertThat(second.stats().eventsIn()).isEqualTo(1);
    }

    @Test
    void anEntityUnseenForTheTtlOfEventTimeIsRemovedAndTombstoned() throws Exception {
        FeatureStore store = start(dir.resolve("state"), Map.of(FeatureStoreConfig.ENTITY_TTL_MS_CONFIG, 600_000));
        produce(List.of(new ProducerRecord<>(prefix + "events", "u-1", event("e-1", "u-1", T0, 10)),
            new ProducerRecord<>(prefix + "events", "u-2", event("e-2", "u-2", T0 + 1_000, 20))));
        latestVectors(2);

        // Eleven minutes of event time later, u-1 has been unseen for more than the TTL. Stream time is per
        // partition: u-2, u-3 and u-6 hash to u-1's partition and move it on; u-2 has just been seen.
        List<ProducerRecord<String, String>> later = new ArrayList<>();
        for (String entity : List.of("u-2", "u-3", "u-4", "u-5", "u-6")) {
            later.add(new ProducerRecord<>(prefix + "events", entity, event("e-" + entity, entity,
                T0 + 11 * 60_000, 30)));
        }
        produce(later);

        List<ConsumerRecord<byte[], byte[]>> records = cluster.consumeUntil(prefix + "features",
            all -> all.stream().anyMatch(r -> r.value() == null), TIMEOUT);
        List<String> tombstones = records.stream().filter(r -> r.value() == null)
            .map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList();
        assertThat(tombstones).containsExactly("transactions/u-1");
        KafkaTestCluster.await("u-1 gone from the store", TIMEOUT, () -> lookupAbsent(store, "u-1"));
        assertThat(lookup(store, "u-2").getValuesMap()).containsEntry("events_10m", 1.0);
    }

    @Test
    void aSessionWindowCountsTheCurrentSessionAndDeadLettersAnEventBeyondItsGrace() throws Exception {
        Path view = dir.resolve("sessions.yaml");
        Files.writeString(view, """
            name: visits
            entity: entity_id
            event_time: event_time
            fields: [{name: amount, type: number}]
            aggregations:
              - {name: visit_spend, function: sum, field: amount, window: {type: session, gap: 5m, grace: 1m}}
            """);
        start(dir.resolve("state"), Map.of(FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString()));
        produce(List.of(new ProducerRecord<>(prefix + "events", "u-1", event("e-1", "u-1", T0, 10)),
            new ProducerRecord<>(prefix + "events", "u-1", event("e-2", "u-1", T0 + 4 * 60_000, 20)),
            new ProducerRecord<>(prefix + "events", "u-1", event("e-3", "u-1", T0 + 20 * 60_000, 40)),
            // Within the grace (gap 5m + grace 1m) of the stream time: joins the new session.
            new ProducerRecord<>(prefix + "events", "u-1", event("e-4", "u-1", T0 + 16 * 60_000, 5)),
            // Seventeen minutes older than the stream time: too late.
            new ProducerRecord<>(prefix + "events", "u-1", event("e-5", "u-1", T0 + 3 * 60_000, 99))));

        List<ConsumerRecord<byte[], byte[]>> deadLetters = cluster.consumeUntil(prefix + "dead-letter",
            records -> !records.isEmpty(), TIMEOUT);
        DeadLetter late = DeadLetter.parseFrom(deadLetters.get(0).value());
        assertThat(late.getReason()).isEqualTo(DeadLetter.Reason.LATE_EVENT);
        assertThat(late.getView()).isEqualTo("visits");
        assertThat(late.getDetail()).startsWith("event time " + (T0 + 3 * 60_000) + " is 1020000 ms older")
            .contains("visit_spend: session window with gap 300000 ms, grace 60000 ms");
        assertThat(late.getRawValue().toStringUtf8()).contains("\"event_id\":\"e-5\"");
        assertThat(latestVectors(4).get("visits/u-1").getValuesMap()).containsEntry("visit_spend", 45.0);
    }

    @Test
    void aLabelByEntityAndEventTimeWithoutAFeatureHistoryIsDeadLetteredSayingWhy() throws Exception {
        start(dir.resolve("state"));
        cluster.produceStrings(prefix + "labels", List.of(Map.entry("u-1",
            "{\"entity_id\":\"u-1\",\"event_time\":" + T0 + ",\"label\":\"1\"}")));

        DeadLetter deadLetter = DeadLetter.parseFrom(cluster.consumeUntil(prefix + "dead-letter",
            records -> !records.isEmpty(), TIMEOUT).get(0).value());
        assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.UNMATCHED_LABEL);
        assertThat(deadLetter.getDetail()).contains("set featurestore.feature.history.ms");
        assertThat(deadLetter.getSourceTopic()).isEqualTo(prefix + "labels");
    }

    private static boolean lookupAbsent(FeatureStore store, String entity) {
        try {
            return store.onlineFeatures(entity).isEmpty();
        } catch (FeatureStoreException notQueryableYet) {
            return false;
        }
    }

    private static FeatureVector lookup(FeatureStore store, String entity) {
        try {
            return store.onlineFeatures(entity).orElse(null);
        } catch (FeatureStoreException notQueryableYet) {
            return null;
        }
    }

    private FeatureStore start(Path stateDir) throws IOException {
        return start(stateDir, Map.of());
    }

    private FeatureStore start(Path stateDir, Map<String, Object> extra) throws IOException {
        Path view = dir.resolve("transactions.yaml");
        if (!Files.exists(view)) {
            try (InputStream in = IngestionIT.class.getResourceAsStream("/views/transactions.yaml")) {
                Files.write(view, in.readAllBytes());
            }
        }
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString());
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.putAll(extra);
        FeatureStore store = FeatureStore.start(props);
        started.add(store);
        return store;
    }

    private void produce(List<ProducerRecord<String, String>> records) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                cluster.bootstrapServers(), "enable.idempotence", "false", "max.in.flight.requests.per.connection",
                "1", "acks", "all"), new StringSerializer(), new StringSerializer())) {
            records.forEach(producer::send);
            producer.flush();
        }
    }

    /** The newest vector under each key of the features topic, once at least {@code atLeast} were written. */
    private Map<String, FeatureVector> latestVectors(int atLeast) throws Exception {
        Map<String, FeatureVector> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record
                : cluster.consumeUntil(prefix + "features", records -> records.size() >= atLeast, TIMEOUT)) {
            latest.put(new String(record.key(), StandardCharsets.UTF_8), FeatureVector.parseFrom(record.value()));
        }
        return latest;
    }

    private static String event(String id, String entity, long timeMs, double amount) {
        return String.format(Locale.ROOT, "{\"event_id\":\"%s\",\"entity_id\":\"%s\",\"event_time\":%d,"
            + "\"amount\":%s,\"velocity\":0.5,\"channel\":\"web\",\"is_new_device\":false}",
            id, entity, timeMs, Double.toString(amount));
    }
}
