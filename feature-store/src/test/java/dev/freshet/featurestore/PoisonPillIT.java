package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A malformed record as large as the topic takes (about 1 MB) is dead-lettered with a bounded prefix, its length and
 * its SHA-256, and the stage goes on, with exactly-once on: the events and labels after it are processed, and a
 * restart does not stop on it again. Its whole value in the dead letter would not fit the producer's limit, and the
 * view's application or the label join stopped on it for good.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class PoisonPillIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long T0 = 1_764_000_000_000L;
    /**
     * Nearly as large as a value can be and still fit a default producer (max.request.size 1 MiB less up to 82
     * bytes of batch and record framing) and broker (message.max.bytes): a dead letter holding all of it and a few
     * hundred bytes of detail would not.
     */
    private static final int LARGEST_VALUE = 1_048_400;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private final List<FeatureStore> started = new ArrayList<>();

    @BeforeEach
    void createTopics(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples");
    }

    @AfterEach
    void closeStores() {
        started.forEach(FeatureStore::close);
    }

    @Test
    void aMegabyteMalformedEventIsDeadLetteredBoundedAndLaterEventsGetVectorsAcrossARestart() throws Exception {
        FeatureStore store = start();
        byte[] poison = poison();
        produceAcknowledged(prefix + "events", "poison", poison);
        cluster.produceStrings(prefix + "events", List.of(Map.entry("u-1", event("e-1", "u-1", T0))));

        DeadLetter deadLetter = DeadLetter.parseFrom(cluster.consumeUntil(prefix + "dead-letter",
            records -> !records.isEmpty(), TIMEOUT).get(0).value());
        assertBounded(deadLetter, DeadLetter.Reason.MALFORMED_JSON, poison);
        assertThat(vectors(1)).extracting(FeatureVector::getEntityId).containsExactly("u-1");
        assertThat(store.liveness().alive()).isTrue();

        store.close();
        started.remove(store);
        FeatureStore restarted = start();
        cluster.produceStrings(prefix + "events", List.of(Map.entry("u-2", event("e-2", "u-2", T0 + 1_000))));

        assertThat(vectors(2)).extracting(FeatureVector::getEntityId).containsExactly("u-1", "u-2");
        assertThat(restarted.liveness().alive()).isTrue();
        // Read once, dead-lettered once: the restart went on from after it.
        assertThat(cluster.consumeUntil(prefix + "dead-letter", records -> !records.isEmpty(), TIMEOUT)).hasSize(1);
    }

    @Test
    void aMegabyteMalformedLabelIsDeadLetteredBoundedAndLaterLabelsAreJoinedAcrossARestart() throws Exception {
        FeatureStore store = start();
        byte[] poison = poison();
        produceAcknowledged(prefix + "labels", "r-0", poison);
        cluster.produceBytes(prefix + "predictions", List.of(Map.entry(utf8("r-1"), prediction("r-1").toByteArray())));
        cluster.produceStrings(prefix + "labels", List.of(Map.entry("r-1", "{\"request_id\":\"r-1\",\"label\":\"1\"}")));

        DeadLetter deadLetter = DeadLetter.parseFrom(cluster.consumeUntil(prefix + "dead-letter",
            records -> !records.isEmpty(), TIMEOUT).get(0).value());
        assertBounded(deadLetter, DeadLetter.Reason.MALFORMED_LABEL, poison);
        assertThat(examples(1)).extracting(TrainingExample::getRequestId).containsExactly("r-1");

        store.close();
        started.remove(store);
        FeatureStore restarted = start();
        cluster.produceBytes(prefix + "predictions", List.of(Map.entry(utf8("r-2"), prediction("r-2").toByteArray())));
        cluster.produceStrings(prefix + "labels", List.of(Map.entry("r-2", "{\"request_id\":\"r-2\",\"label\":\"0\"}")));

        assertThat(examples(2)).extracting(TrainingExample::getRequestId).containsExactly("r-1", "r-2");
        assertThat(restarted.liveness().alive()).isTrue();
    }

    private static void assertBounded(DeadLetter deadLetter, DeadLetter.Reason reason, byte[] poison)
            throws Exception {
        assertThat(deadLetter.getReason()).isEqualTo(reason);
        assertThat(deadLetter.getRawLength()).isEqualTo(poison.length);
        assertThat(deadLetter.getRawSha256().toByteArray())
            .isEqualTo(MessageDigest.getInstance("SHA-256").digest(poison));
        assertThat(deadLetter.getRawValue().toByteArray())
            .isEqualTo(Arrays.copyOf(poison, FeatureStoreConfig.DEADLETTER_RAW_MAX_BYTES_DEFAULT));
    }

    /** Writes one record and waits for the broker to take it: a refused poison pill would prove nothing. */
    private void produceAcknowledged(String topic, String key, byte[] value) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                cluster.bootstrapServers(), "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, utf8(key), value)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Not JSON, and as large as the topic takes. */
    private static byte[] poison() {
        byte[] bytes = new byte[LARGEST_VALUE];
        Arrays.fill(bytes, (byte) 'x');
        return bytes;
    }

    private FeatureStore start() throws Exception {
        return start(Map.of());
    }

    private FeatureStore start(Map<String, Object> extra) throws Exception {
        Path view = dir.resolve("transactions.yaml");
        if (!Files.exists(view)) {
            try (InputStream in = PoisonPillIT.class.getResourceAsStream("/views/transactions.yaml")) {
                Files.write(view, in.readAllBytes());
            }
        }
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString());
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.putAll(extra);
        FeatureStore store = FeatureStore.start(props);
        started.add(store);
        return store;
    }

    private List<FeatureVector> vectors(int atLeast) throws Exception {
        List<FeatureVector> vectors = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record
                : cluster.consumeUntil(prefix + "features", records -> records.size() >= atLeast, TIMEOUT)) {
            vectors.add(FeatureVector.parseFrom(record.value()));
        }
        return vectors;
    }

    private List<TrainingExample> examples(int atLeast) throws Exception {
        List<TrainingExample> examples = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record
                : cluster.consumeUntil(prefix + "training-examples", records -> records.size() >= atLeast, TIMEOUT)) {
            examples.add(TrainingExample.parseFrom(record.value()));
        }
        return examples;
    }

    private static String event(String id, String entity, long timeMs) {
        return String.format(Locale.ROOT, "{\"event_id\":\"%s\",\"entity_id\":\"%s\",\"event_time\":%d,"
            + "\"amount\":10.0,\"velocity\":0.5,\"channel\":\"web\",\"is_new_device\":false}", id, entity, timeMs);
    }

    private static PredictionLogEntry prediction(String requestId) {
        return PredictionLogEntry.newBuilder().setRequestId(requestId).setEntityId("u-1").putFeatures("amount", 1.0)
            .setLabel("0").setScore(0.8).setModel("default").setModelVersion(1).setServedAtMs(T0)
            .setEntityKnown(true).build();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
