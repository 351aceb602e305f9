package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Transforms, tumbling windows and the label feature through the running store. */
@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureKindsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long MINUTE = 60_000;
    private static final long T0 = 1_764_000_000_000L / (10 * MINUTE) * (10 * MINUTE);
    private static final String VIEW = """
        name: kinds
        entity: entity_id
        event_time: event_time
        request_id: event_id
        grace: 1m
        fields: [{name: amount, type: number}, {name: channel, type: string}]
        transforms:
          - {name: amount_log, function: log, field: amount}
          - {name: channel_oh, function: one_hot, field: channel, vocabulary: [web]}
        aggregations:
          - {name: amount_t, function: sum, field: amount, window: {type: tumbling, size: 10m}}
          - {name: amount_sd, function: stddev, field: amount, window: 10m}
        label: {name: last_label}
        """;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private FeatureStore store;

    @BeforeEach
    void start(KafkaTestCluster cluster) throws Exception {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples");
        Path view = dir.resolve("kinds.yaml");
        Files.writeString(view, VIEW);
        Map<String, Object> props = new HashMap<>();
        props.put(FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix);
        props.put(FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString());
        props.put(FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        store = FeatureStore.start(props);
    }

    @AfterEach
    void stop() {
        if (store != null) {
            store.close();
        }
    }

    @Test
    void theNextEventCarriesThePreviousExamplesLabelAndNoVectorCarriesItsOwn() throws Exception {
        produceEvents(event("e-1", T0, 10, "web"));
        featureVectors(1);
        cluster.produceBytes(prefix + "predictions", List.of(Map.entry(utf8("e-1"), PredictionLogEntry.newBuilder()
            .setRequestId("e-1").setEntityId("u-1").putFeatures("amount", 10).setLabel("0").setModel("default")
            .setModelVersion(1).setServedAtMs(T0).build().toByteArray())));
        cluster.produceStrings(prefix + "labels",
            List.of(Map.entry("e-1", "{\"request_id\":\"e-1\",\"label\":\"1\"}")));
        cluster.consumeUntil(prefix + "training-examples", records -> !records.isEmpty(), TIMEOUT);

        produceEvents(event("e-2", T0 + MINUTE, 30, "app"));

        List<FeatureVector> vectors = featureVectors(2);
        assertThat(vectors).filteredOn(v -> v.getEventTimeMs() == T0)
            .allSatisfy(v -> assertThat(v.getValuesMap().keySet()).noneMatch(k -> k.startsWith("last_label")));
        FeatureVector second = vectors.get(vectors.size() - 1);
        assertThat(second.getEventTimeMs()).isEqualTo(T0 + MINUTE);
        assertThat(second.getValuesMap()).containsEntry("last_label=1", 1.0)
            .containsEntry("amount_log", Math.log(31))
            .containsEntry("channel_oh=__other__", 1.0)
            .containsEntry("amount_t", 40.0)
            .containsEntry("amount_sd", 10.0);
        assertThat(store.onlineFeatures("u-1")).contains(second);
        assertThat(store.onlineFeatures("u-unknown")).isEmpty();
    }

    @Test
    void anEventBeyondEveryWindowsGraceIsDeadLetteredAsLate() throws Exception {
        produceEvents(event("e-1", T0 + 12 * MINUTE, 1, "web"), event("e-2", T0, 2, "web"));

        ConsumerRecord<byte[], byte[]> record = cluster.consumeUntil(prefix + "dead-letter",
            records -> !records.isEmpty(), TIMEOUT).get(0);
        DeadLetter deadLetter = DeadLetter.parseFrom(record.value());
        assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.LATE_EVENT);
        assertThat(deadLetter.getField()).isEqualTo("event_time");
        assertThat(deadLetter.getDetail()).contains("720000 ms older")
            .contains("amount_t: tumbling window 600000 ms, grace 60000 ms");
        KafkaTestCluster.await("the late event to be counted", TIMEOUT,
            () -> store.stats().deadLettered().getOrDefault("LATE_EVENT", 0L) == 1L);
    }

    private void produceEvents(String... events) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (String event : events) {
            records.add(new AbstractMap.SimpleEntry<>(null, event));
        }
        cluster.produceStrings(prefix + "events", records);
    }

    private List<FeatureVector> featureVectors(int atLeast) throws InvalidProtocolBufferException {
        List<FeatureVector> vectors = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record
                : cluster.consumeUntil(prefix + "features", records -> records.size() >= atLeast, TIMEOUT)) {
            vectors.add(FeatureVector.parseFrom(record.value()));
        }
        return vectors;
    }

    private static String event(String id, long timeMs, double amount, String channel) {
        return String.format(Locale.ROOT, "{\"event_id\":\"%s\",\"entity_id\":\"u-1\",\"event_time\":%d,"
            + "\"amount\":%s,\"channel\":\"%s\"}", id, timeMs, Double.toString(amount), channel);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
