package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The label join after a feature-store outage longer than featurestore.label.wait.ms (issue 13, failure 9): the
 * wait runs on the records' timestamps, so the backlog of predictions and labels written while the store was down
 * is joined as if the store had never stopped, and predictions read before the outage still meet their labels.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class LabelJoinOutageIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final long WAIT_MS = 3_000;
    /** Predictions read before the outage, whose labels (written within the wait) are read only after it. */
    private static final int BEFORE = 10;
    /** Prediction and label pairs written during the outage, spread over more than the wait. */
    private static final int DURING = 20;
    private static final long DURING_SPACING_MS = 500;
    private static final long LABEL_DELAY_MS = 1_000;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private Path view;
    private FeatureStore store;
    private KafkaProducer<String, byte[]> producer;

    @BeforeEach
    void setUp(KafkaTestCluster cluster) throws IOException {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples");
        view = dir.resolve("transactions.yaml");
        try (InputStream in = LabelJoinOutageIT.class.getResourceAsStream("/views/transactions.yaml")) {
            Files.write(view, in.readAllBytes());
        }
        producer = new KafkaProducer<>(Map.of("bootstrap.servers", cluster.bootstrapServers(), "acks", "all",
            "enable.idempotence", "false", "max.in.flight.requests.per.connection", "1"),
            new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void tearDown() {
        if (store != null) {
            store.close();
        }
        producer.close(Duration.ofSeconds(5));
    }

    private FeatureStore startStore() {
        return FeatureStore.start(Map.of(
            FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
            FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix,
            FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString(),
            FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString(),
            FeatureStoreConfig.LABEL_WAIT_MS_CONFIG, WAIT_MS));
    }

    @Test
    void everyLabelOfABacklogWrittenDuringAnOutageLongerThanTheWaitBecomesATrainingExample() throws Exception {
        store = startStore();
        long before = System.currentTimeMillis();
        for (int i = 0; i < BEFORE; i++) {
            prediction("before-" + i, before + i);
        }
        // The sentinel's example shows that the label join has read (and stored) every prediction before it.
        prediction("sentinel", before + BEFORE);
        label("sentinel", before + BEFORE + 1);
        awaitExamples(Set.of("sentinel"));

        store.close();
        store = null;
        long stoppedAt = System.currentTimeMillis();
        Set<String> expected = new TreeSet<>(Set.of("sentinel"));
        for (int i = 0; i < BEFORE; i++) {
            // Labelled a second after the prediction; the store stopped before it read them.
            label("before-" + i, before + i + LABEL_DELAY_MS);
            expected.add("before-" + i);
        }
        for (int i = 0; i < DURING; i++) {
            long at = stoppedAt + i * DURING_SPACING_MS;
            prediction("during-" + i, at);
            label("during-" + i, at + LABEL_DELAY_MS);
            expected.add("during-" + i);
        }
        producer.flush();
        // The outage: longer than the wait on the wall clock, and past the newest timestamp written during it.
        long outageEnds = stoppedAt + (DURING - 1) * DURING_SPACING_MS + LABEL_DELAY_MS + 2 * WAIT_MS;
        KafkaTestCluster.await("the outage to outlast the label wait", TIMEOUT,
            () -> System.currentTimeMillis() > outageEnds);

        store = startStore();
        // A label either joins or is dead-lettered as UNMATCHED_LABEL: an example for each means none was.
        assertThat(awaitExamples(expected)).isEqualTo(expected);
    }

    private void prediction(String requestId, long atMs) throws InterruptedException, ExecutionException {
        byte[] entry = PredictionLogEntry.newBuilder()
            .setRequestId(requestId)
            .setEntityId("u-" + requestId)
            .putFeatures("amount", 1.0)
            .setLabel("ok")
            .setModel("risk")
            .setModelVersion(1)
            .setServedAtMs(atMs)
            .build().toByteArray();
        producer.send(new ProducerRecord<>(prefix + "predictions", null, atMs, requestId, entry)).get();
    }

    private void label(String requestId, long atMs) throws InterruptedException, ExecutionException {
        byte[] label = ("{\"request_id\":\"" + requestId + "\",\"label\":\"fraud\"}").getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(prefix + "labels", null, atMs, requestId, label)).get();
    }

    /** Reads training examples until every expected request id has one; returns the request ids seen. */
    private Set<String> awaitExamples(Set<String> expected) {
        Set<String> seen = new TreeSet<>();
        cluster.consumeUntil(prefix + "training-examples", records -> {
            seen.clear();
            records.forEach(record -> seen.add(parse(record).getRequestId()));
            return seen.containsAll(expected);
        }, TIMEOUT);
        return seen;
    }

    private static TrainingExample parse(ConsumerRecord<byte[], byte[]> record) {
        try {
            return TrainingExample.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
