package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event-time bounds on the real broker (issue 13, failure 2): an event a century ahead, or at time 0, negative or
 * Long.MAX_VALUE, is dead-lettered as EVENT_TIME_OUT_OF_RANGE; its entity goes on with the real events after it,
 * and with featurestore.entity.ttl.ms set no other entity is expired by it.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class EventBoundsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long T0 = 1_764_000_000_000L;
    private static final long MINUTE = 60_000;
    private static final long CENTURY = 100L * 365 * 24 * 60 * MINUTE;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private FeatureStore store;

    @BeforeEach
    void start(KafkaTestCluster cluster) throws IOException {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples");
        Path view = dir.resolve("transactions.yaml");
        try (InputStream in = EventBoundsIT.class.getResourceAsStream("/views/transactions.yaml")) {
            Files.write(view, in.readAllBytes());
        }
        store = FeatureStore.start(Map.of(
            FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
            FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix,
            FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString(),
            FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString(),
            FeatureStoreConfig.ENTITY_TTL_MS_CONFIG, 60 * MINUTE));
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void anEventOutOfRangeIsDeadLetteredAndNeitherFreezesItsEntityNorExpiresOthers() throws Exception {
        List<Map.Entry<String, String>> events = new ArrayList<>();
        events.add(event("u-other", T0, 1));
        events.add(event("u-1", T0, 10));
        events.add(event("u-1", T0 + CENTURY, 1_000));
        events.add(event("u-1", 0, 1_000));
        events.add(event("u-1", -5, 1_000));
        events.add(event("u-1", Long.MAX_VALUE, 1_000));
        events.add(event("u-1", T0 + MINUTE, 20));
        events.add(event("u-1", T0 + 2 * MINUTE, 30));
        cluster.produceStrings(prefix + "events", events);

        List<ConsumerRecord<byte[], byte[]>> features = cluster.consumeUntil(prefix + "features",
            records -> records.stream().anyMatch(r -> r.value() != null
                && vector(r).getEntityId().equals("u-1") && vector(r).getEventTimeMs() == T0 + 2 * MINUTE),
            TIMEOUT);
        // Read in order from one partition: a tombstone the bad events caused would be before this vector.
        assertThat(features).as("no entity was expired").allSatisfy(r -> assertThat(r.value()).isNotNull());
        List<FeatureVector> u1 = features.stream().map(EventBoundsIT::vector)
            .filter(v -> v.getEntityId().equals("u-1")).toList();
        assertThat(u1).extracting(FeatureVector::getEventTimeMs).containsExactly(T0, T0 + MINUTE, T0 + 2 * MINUTE);
        assertThat(u1.get(2).getValuesMap()).containsEntry("events_10m", 3.0).containsEntry("amount_mean_10m", 20.0)
            .containsEntry("amount_max_10m", 30.0);
        assertThat(store.onlineFeatures("u-other")).as("u-other is still served").isPresent();

        List<DeadLetter> deadLetters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : cluster.consumeUntil(prefix + "dead-letter",
                records -> records.size() >= 4, TIMEOUT)) {
            deadLetters.add(DeadLetter.parseFrom(record.value()));
        }
        assertThat(deadLetters).hasSize(4).allSatisfy(deadLetter -> {
            assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.EVENT_TIME_OUT_OF_RANGE);
            assertThat(deadLetter.getField()).isEqualTo("event_time");
            assertThat(deadLetter.getView()).isEqualTo("transactions");
        });
        assertThat(deadLetters).extracting(DeadLetter::getSourceOffset).containsExactly(2L, 3L, 4L, 5L);
        assertThat(deadLetters.get(0).getDetail()).contains("ahead of the feature store's clock")
            .contains("featurestore.event.time.max.future.ms");
        assertThat(deadLetters.get(1).getDetail()).contains("before the earliest accepted 1 ")
            .contains("featurestore.event.time.min.ms");
        assertThat(store.stats().deadLettered()).containsEntry("EVENT_TIME_OUT_OF_RANGE", 4L);
    }

    private static SimpleEntry<String, String> event(String entity, long timeMs, double amount) {
        return new SimpleEntry<>(entity, String.format(Locale.ROOT, "{\"entity_id\":\"%s\",\"event_time\":%d,"
            + "\"amount\":%s,\"velocity\":0.5,\"channel\":\"web\",\"is_new_device\":false}", entity, timeMs, amount));
    }

    private static FeatureVector vector(ConsumerRecord<byte[], byte[]> record) {
        try {
            return FeatureVector.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
