package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap.SimpleEntry;
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
 * Bounded strings on the real broker (issue 13, failure 4): a huge entity id or string value is dead-lettered as
 * VALUE_TOO_LONG, and a string field's vocabulary stays bounded across a restart that restores it from the
 * changelog, values beyond it showing as {@code <field>=__other__}.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class BoundedStringsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long T0 = 1_764_000_000_000L;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private Path view;
    private FeatureStore store;

    @BeforeEach
    void setUp(KafkaTestCluster cluster) throws IOException {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples");
        view = dir.resolve("transactions.yaml");
        try (InputStream in = BoundedStringsIT.class.getResourceAsStream("/views/transactions.yaml")) {
            Files.write(view, in.readAllBytes());
        }
    }

    @AfterEach
    void stop() {
        if (store != null) {
            store.close();
        }
    }

    private FeatureStore start(String stateDir) {
        return FeatureStore.start(Map.of(
            FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
            FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix,
            FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString(),
            FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve(stateDir).toString(),
            FeatureStoreConfig.CATEGORY_MAX_VALUES_CONFIG, 2));
    }

    @Test
    void hugeStringsAreDeadLetteredAndTheVocabularyStaysBoundedAcrossARestart() throws Exception {
        store = start("state-1");
        cluster.produceStrings(prefix + "events", List.of(
            event("u".repeat(500_000), T0, "web"),
            event("u-1", T0, "w".repeat(900_000)),
            event("u-1", T0, "web"),
            event("u-2", T0, "app")));
        awaitVector("u-2", T0);
        store.close();

        // A fresh state directory: the vocabulary comes back from the changelog, not from local files.
        store = start("state-2");
        cluster.produceStrings(prefix + "events", List.of(event("u-3", T0 + 1, "pos"), event("u-4", T0 + 1, "web")));

        assertThat(channels(awaitVector("u-3", T0 + 1))).containsExactly("channel=__other__");
        assertThat(channels(awaitVector("u-4", T0 + 1))).containsExactly("channel=web");
        List<DeadLetter> deadLetters = cluster.consumeUntil(prefix + "dead-letter", records -> records.size() >= 2,
            TIMEOUT).stream().map(BoundedStringsIT::deadLetter).toList();
        assertThat(deadLetters).extracting(DeadLetter::getReason).containsExactly(DeadLetter.Reason.VALUE_TOO_LONG,
            DeadLetter.Reason.VALUE_TOO_LONG);
        assertThat(deadLetters).extracting(DeadLetter::getField).containsExactly("entity_id", "channel");
    }

    private FeatureVector awaitVector(String entity, long eventTimeMs) {
        return cluster.consumeUntil(prefix + "features", records -> records.stream()
                .anyMatch(r -> matches(r, entity, eventTimeMs)), TIMEOUT).stream()
            .filter(r -> matches(r, entity, eventTimeMs)).map(BoundedStringsIT::vector).findFirst().orElseThrow();
    }

    private static boolean matches(ConsumerRecord<byte[], byte[]> record, String entity, long eventTimeMs) {
        FeatureVector vector = vector(record);
        return vector.getEntityId().equals(entity) && vector.getEventTimeMs() == eventTimeMs;
    }

    private static List<String> channels(FeatureVector vector) {
        return vector.getValuesMap().keySet().stream().filter(name -> name.startsWith("channel=")).toList();
    }

    private static Map.Entry<String, String> event(String entity, long timeMs, String channel) {
        return new SimpleEntry<>(entity.length() > 100 ? "k" : entity, String.format(Locale.ROOT,
            "{\"entity_id\":\"%s\",\"event_time\":%d,\"amount\":1,\"velocity\":0.5,\"channel\":\"%s\","
                + "\"is_new_device\":false}", entity, timeMs, channel));
    }

    private static FeatureVector vector(ConsumerRecord<byte[], byte[]> record) {
        try {
            return FeatureVector.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> record) {
        try {
            return DeadLetter.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
