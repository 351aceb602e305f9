package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A changed view backfills from history while the old version serves, then takes over with no gap. */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureStoreBackfillIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long T0 = 1_764_000_000_000L;
    private static final List<String> ENTITIES = List.of("u-0", "u-1", "u-2");
    private static final String V1 = """
        name: cards
        entity: entity_id
        event_time: event_time
        fields: [{name: amount, type: number}]
        aggregations: [{name: amount_sum_1h, function: sum, field: amount, window: 1h}]
        """;
    private static final String V2 = V1.replace("window: 1h}]", "window: 1h},\n"
        + "                 {name: amount_max_1h, function: max, field: amount, window: 1h}]");

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private FeatureStore store;
    private final Map<String, Set<Long>> produced = new ConcurrentHashMap<>();
    private final Map<String, Long> clock = new HashMap<>();

    @BeforeEach
    void createTopics(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        ENTITIES.forEach(e -> clock.put(e, T0));
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples", prefix + "feature-views");
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void theOldVersionServesUntilTheNewOneHasCaughtUpThenTheNewOneTakesOverWithNoGap() throws Exception {
        apply(V1);
        store = FeatureStore.start(Map.of(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
            FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix,
            FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString()));
        for (int round = 0; round < 10; round++) {
            produceRound(60);
        }
        long historyEnd = history().values().stream().mapToLong(Long::longValue).max().orElseThrow();
        awaitVectors(vectors -> vectors.stream().anyMatch(v -> v.getEventTimeMs() == historyEnd));
        produced.clear();

        AtomicBoolean flowing = new AtomicBoolean(true);
        Thread traffic = new Thread(() -> {
            while (flowing.get()) {
                produceRound(1);
            }
        });
        traffic.start();
        try {
            apply(V2);
            KafkaTestCluster.await("v2 to be backfilled and recorded ACTIVE", TIMEOUT, () -> {
                FeatureViewRecord cards = FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), TIMEOUT).get(0);
                return cards.getVersion() == 2 && cards.getState() == FeatureViewRecord.State.ACTIVE;
            });
            KafkaTestCluster.await("v2 to answer lookups", TIMEOUT, () -> store.views().get(0).version() == 2);
            produceRound(5);
        } finally {
            flowing.set(false);
            traffic.join();
        }
        Map<String, Long> lastProduced = history();
        List<FeatureVector> vectors = awaitVectors(all -> ENTITIES.stream().allMatch(e -> all.stream().anyMatch(
            v -> v.getEntityId().equals(e) && v.getEventTimeMs() == lastProduced.get(e))));

        // No vector of v2's backfill was written: its first vectors are of events after the history.
        assertThat(vectors.stream().filter(v -> v.getViewVersion() == 2).mapToLong(FeatureVector::getEventTimeMs)
            .min().orElseThrow()).isGreaterThan(historyEnd);
        for (String entity : ENTITIES) {
            List<FeatureVector> own = vectors.stream().filter(v -> v.getEntityId().equals(entity)).toList();
            // No gap: every event produced while the view changed has a vector from one version or the other.
            Set<Long> covered = new TreeSet<>();
            own.forEach(v -> covered.add(v.getEventTimeMs()));
            assertThat(covered).as("event times of %s with a vector", entity).containsAll(produced.get(entity));
            // v2 took over: the entity's newest vector is v2's and has its new feature.
            FeatureVector newest = own.get(own.size() - 1);
            assertThat(newest.getViewVersion()).isEqualTo(2);
            assertThat(newest.getValuesMap()).containsKey("amount_max_1h");
            // v1 served before: vectors after the history and before the takeover are v1's.
            assertThat(own.stream().filter(v -> v.getEventTimeMs() > historyEnd).findFirst().orElseThrow()
                .getViewVersion()).isEqualTo(1);
        }
        assertThat(store.onlineFeatures("u-0").orElseThrow().getValuesMap()).containsKey("amount_max_1h");
        assertThat(Files.exists(dir.resolve("state").resolve(prefix + "feature-store.cards.v1")))
            .as("v1's local state is removed").isFalse();
    }

    private synchronized Map<String, Long> history() {
        return Map.copyOf(clock);
    }

    private void apply(String yaml) {
        FeatureViewRegistry.apply(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), yaml, "cards.yaml", "test", false, TIMEOUT);
    }

    /** One event per entity per step, event times strictly increasing per entity. */
    private synchronized void produceRound(int steps) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            for (String entity : ENTITIES) {
                long time = clock.merge(entity, 1000L, Long::sum);
                produced.computeIfAbsent(entity, e -> new TreeSet<>()).add(time);
                records.add(new SimpleEntry<>(entity, String.format(Locale.ROOT,
                    "{\"entity_id\":\"%s\",\"event_time\":%d,\"amount\":%d}", entity, time, time % 97)));
            }
        }
        cluster.produceStrings(prefix + "events", records);
    }

    private List<FeatureVector> awaitVectors(java.util.function.Predicate<List<FeatureVector>> done) {
        List<FeatureVector> vectors = new ArrayList<>();
        cluster.consumeUntil(prefix + "features", records -> {
            vectors.clear();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                if (record.value() != null) {
                    vectors.add(parse(record.value()));
                }
            }
            return done.test(vectors);
        }, TIMEOUT);
        return List.copyOf(vectors);
    }

    private static FeatureVector parse(byte[] bytes) {
        try {
            return FeatureVector.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }
}
