package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureStoreIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long T0 = 1_764_000_000_000L;

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
    void emitsFeatureVectorsWithWindowedAggregates() throws Exception {
        FeatureStore store = start(Map.of());

        produceEvents(
            event("e-1", "u-1", T0, 10, "web"),
            event("e-2", "u-1", T0 + 2 * 60_000, 30, "app"),
            event("e-3", "u-2", T0, 5, "web"),
            event("e-4", "u-1", T0 + 11 * 60_000, 50, "web"));

        List<FeatureVector> vectors = featureVectors(4);
        FeatureVector last = vectors.stream().filter(v -> v.getEntityId().equals("u-1")).reduce((a, b) -> b)
            .orElseThrow();
        assertThat(last.getView()).isEqualTo("transactions");
        assertThat(last.getViewVersion()).isEqualTo(1);
        assertThat(last.getEventTimeMs()).isEqualTo(T0 + 11 * 60_000);
        // The window (T0+1m, T0+11m] holds the events of 30 and 50; the first one, of 10, has left it.
        assertThat(last.getValuesMap()).containsExactlyInAnyOrderEntriesOf(Map.of(
            "amount", 50.0, "velocity", 0.5, "channel=web", 1.0, "is_new_device", 0.0,
            "amount_mean_10m", 40.0, "amount_max_10m", 50.0, "events_10m", 2.0));
        assertThat(store.stats().eventsIn()).isEqualTo(4);
        assertThat(store.stats().featureVectorsOut()).isEqualTo(4);
    }

    @Test
    void deadLettersBadEventsWithTheirReasonsAndCountsThem() throws Exception {
        FeatureStore store = start(Map.of());

        produceEvents(
            event("e-1", "u-1", T0 + 20 * 60_000, 10, "web"),
            "{\"entity_id\":\"u-1\",",
            "{\"event_time\":1764000000000,\"amount\":1,\"velocity\":0,\"channel\":\"web\",\"is_new_device\":false}",
            event("e-4", "u-1", T0, 10, "web").replace("\"amount\":10.0", "\"amount\":\"abc\""),
            event("e-5", "u-1", T0, 10, "web"));

        Map<DeadLetter.Reason, DeadLetter> byReason = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : consume("dead-letter", records -> records.size() >= 4)) {
            DeadLetter deadLetter = DeadLetter.parseFrom(record.value());
            byReason.put(deadLetter.getReason(), deadLetter);
        }
        assertThat(byReason).containsOnlyKeys(DeadLetter.Reason.MALFORMED_JSON, DeadLetter.Reason.MISSING_FIELD,
            DeadLetter.Reason.WRONG_TYPE, DeadLetter.Reason.LATE_EVENT);
        DeadLetter missing = byReason.get(DeadLetter.Reason.MISSING_FIELD);
        assertThat(missing.getField()).isEqualTo("entity_id");
        assertThat(missing.getView()).isEqualTo("transactions");
        assertThat(missing.getSourceTopic()).isEqualTo(prefix + "events");
        assertThat(missing.getSourceOffset()).isEqualTo(2);
        assertThat(byReason.get(DeadLetter.Reason.WRONG_TYPE).getDetail())
            .isEqualTo("the field 'amount' is a string (\"abc\"); expected a number");
        DeadLetter late = byReason.get(DeadLetter.Reason.LATE_EVENT);
        assertThat(late.getSourceOffset()).isEqualTo(4);
        assertThat(late.getRawValue().toStringUtf8()).contains("\"event_id\":\"e-5\"");
        assertThat(byReason.get(DeadLetter.Reason.MALFORMED_JSON).getRawValue().toStringUtf8())
            .isEqualTo("{\"entity_id\":\"u-1\",");
        KafkaTestCluster.await("the dead letters to be counted", TIMEOUT, () -> store.stats().deadLetteredTotal() == 4);
        assertThat(store.stats().deadLettered()).containsExactlyInAnyOrderEntriesOf(Map.of(
            "MALFORMED_JSON", 1L, "MISSING_FIELD", 1L, "WRONG_TYPE", 1L, "LATE_EVENT", 1L));
        assertThat(store.stats().featureVectorsOut()).isEqualTo(1);
    }

    @Test
    void trainingExampleCarriesPredictionTimeFeaturesNotLaterOnes() throws Exception {
        FeatureStore store = start(Map.of());
        produceEvents(event("e-1", "u-1", T0, 10, "web"));
        featureVectors(1);
        PredictionLogEntry prediction = prediction("e-1", "u-1", Map.of("amount", 10.0, "events_10m", 1.0));
        cluster.produceBytes(prefix + "predictions", List.of(Map.entry(utf8("e-1"), prediction.toByteArray())));
        // The entity moves on after the prediction was served...
        produceEvents(event("e-2", "u-1", T0 + 1_000, 999, "app"));
        FeatureVector newer = featureVectors(2).get(1);
        assertThat(newer.getValuesMap()).containsEntry("amount", 999.0).containsEntry("events_10m", 2.0);

        // ...and only then does the label arrive.
        cluster.produceStrings(prefix + "labels", List.of(Map.entry("e-1", "{\"request_id\":\"e-1\",\"label\":\"1\"}")));

        TrainingExample example = trainingExamples(1).get(0);
        assertThat(example.getFeaturesMap()).isEqualTo(Map.of("amount", 10.0, "events_10m", 1.0));
        assertThat(example.getRequestId()).isEqualTo("e-1");
        assertThat(example.getEntityId()).isEqualTo("u-1");
        assertThat(example.getLabel()).isEqualTo("1");
        assertThat(example.getPredictedAtMs()).isEqualTo(prediction.getServedAtMs());
        assertThat(example.getLabelArrivedAtMs()).isGreaterThan(0);
        assertThat(example.getModel()).isEqualTo("default");
        assertThat(example.getModelVersion()).isEqualTo(3);
        assertThat(example.getPredictedLabel()).isEqualTo("0");
        assertThat(example.getClassProbabilitiesMap()).isEqualTo(Map.of("0", 0.8, "1", 0.2));
        assertThat(store.stats().labelsIn()).isEqualTo(1);
        assertThat(store.stats().trainingExamplesOut()).isEqualTo(1);
    }

    @Test
    void labelArrivingBeforeItsPredictionWaitsForIt() throws Exception {
        start(Map.of());
        cluster.produceStrings(prefix + "labels", List.of(Map.entry("r-7", "{\"request_id\":\"r-7\",\"label\":\"0\"}")));
        KafkaTestCluster.await("the label to be read", TIMEOUT, () -> started.get(0).stats().labelsIn() == 1);

        cluster.produceBytes(prefix + "predictions",
            List.of(Map.entry(utf8("r-7"), prediction("r-7", "u-3", Map.of("amount", 4.0)).toByteArray())));

        TrainingExample example = trainingExamples(1).get(0);
        assertThat(example.getRequestId()).isEqualTo("r-7");
        assertThat(example.getLabel()).isEqualTo("0");
        assertThat(example.getFeaturesMap()).isEqualTo(Map.of("amount", 4.0));
    }

    @Test
    void expiresUnmatchedLabelsAndPredictionsOnceLaterRecordsPassTheWait() throws Exception {
        FeatureStore store = start(Map.of(FeatureStoreConfig.LABEL_WAIT_MS_CONFIG, 1_000L));
        cluster.produceStrings(prefix + "labels", List.of(
            Map.entry("r-1", "{\"request_id\":\"r-1\",\"label\":\"1\"}"),
            Map.entry("r-2", "{\"request_id\":\"r-2\"}")));
        cluster.produceBytes(prefix + "predictions",
            List.of(Map.entry(utf8("r-3"), prediction("r-3", "u-3", Map.of()).toByteArray())));
        // The wait runs on record time: a prediction written more than the wait later moves the join past it.
        long writtenBy = System.currentTimeMillis();
        KafkaTestCluster.await("record time to pass the wait", TIMEOUT,
            () -> System.currentTimeMillis() > writtenBy + 1_200);
        cluster.produceBytes(prefix + "predictions",
            List.of(Map.entry(utf8("r-later"), prediction("r-later", "u-4", Map.of()).toByteArray())));

        List<DeadLetter> deadLetters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : consume("dead-letter", records -> records.size() >= 2)) {
            deadLetters.add(DeadLetter.parseFrom(record.value()));
        }
        assertThat(deadLetters).extracting(DeadLetter::getReason)
            .containsExactlyInAnyOrder(DeadLetter.Reason.UNMATCHED_LABEL, DeadLetter.Reason.MALFORMED_LABEL);
        DeadLetter unmatched = deadLetters.stream()
            .filter(d -> d.getReason() == DeadLetter.Reason.UNMATCHED_LABEL).findFirst().orElseThrow();
        assertThat(unmatched.getSourceTopic()).isEqualTo(prefix + "labels");
        assertThat(unmatched.getRawValue().toStringUtf8()).isEqualTo("{\"request_id\":\"r-1\",\"label\":\"1\"}");
        KafkaTestCluster.await("the unlabelled prediction to expire", TIMEOUT,
            () -> store.stats().predictionsExpiredUnlabelled() == 1);
        assertThat(store.stats().deadLettered()).isEqualTo(Map.of("UNMATCHED_LABEL", 1L, "MALFORMED_LABEL", 1L));
    }

    @Test
    void keepsAggregatesAcrossARestart() throws Exception {
        Path stateDir = dir.resolve("state");
        Map<String, Object> props = Map.of(FeatureStoreConfig.STATE_DIR_CONFIG, stateDir.toString());
        FeatureStore first = start(props);
        produceEvents(event("e-1", "u-1", T0, 10, "web"), event("e-2", "u-1", T0 + 1_000, 20, "web"));
        featureVectors(2);
        first.close();

        start(props);
        produceEvents(event("e-3", "u-1", T0 + 2_000, 60, "web"));

        FeatureVector after = featureVectors(3).get(2);
        assertThat(after.getValuesMap()).containsEntry("events_10m", 3.0).containsEntry("amount_mean_10m", 30.0)
            .containsEntry("amount_max_10m", 60.0);
    }

    @Test
    void refusesAnInvalidViewAtStart() throws IOException {
        Path view = dir.resolve("bad.yaml");
        Files.writeString(view, "name: v\nentity: id\nevent_time: ts\naggregations: [{name: n, function: count, "
            + "window: 10x}]\n");

        assertThatThrownBy(() -> FeatureStore.start(Map.of("bootstrap.servers", cluster.bootstrapServers(),
                FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString())))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessageEndingWith("aggregations[0].window: '10x' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
    }

    private FeatureStore start(Map<String, Object> extra) throws IOException {
        Path view = dir.resolve("transactions.yaml");
        if (!Files.exists(view)) {
            try (InputStream in = FeatureStoreIT.class.getResourceAsStream("/views/transactions.yaml")) {
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

    private void produceEvents(String... events) {
        List<Map.Entry<String, String>> records = new ArrayList<>();
        for (String event : events) {
            // Keyed by event id, not entity: the store must repartition by entity itself.
            records.add(new java.util.AbstractMap.SimpleEntry<>(null, event));
        }
        cluster.produceStrings(prefix + "events", records);
    }

    private List<FeatureVector> featureVectors(int atLeast) throws InvalidProtocolBufferException {
        List<FeatureVector> vectors = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : consume("features", records -> records.size() >= atLeast)) {
            vectors.add(FeatureVector.parseFrom(record.value()));
        }
        return vectors;
    }

    private List<TrainingExample> trainingExamples(int atLeast) throws InvalidProtocolBufferException {
        List<TrainingExample> examples = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record
                : consume("training-examples", records -> records.size() >= atLeast)) {
            examples.add(TrainingExample.parseFrom(record.value()));
        }
        return examples;
    }

    private List<ConsumerRecord<byte[], byte[]>> consume(String suffix,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done) {
        return cluster.consumeUntil(prefix + suffix, done, TIMEOUT);
    }

    private static String event(String id, String entity, long timeMs, double amount, String channel) {
        return String.format(java.util.Locale.ROOT, "{\"event_id\":\"%s\",\"entity_id\":\"%s\",\"event_time\":%d,"
            + "\"amount\":%s,\"velocity\":0.5,\"channel\":\"%s\",\"is_new_device\":false}",
            id, entity, timeMs, Double.toString(amount), channel);
    }

    private static PredictionLogEntry prediction(String requestId, String entity, Map<String, Double> features) {
        return PredictionLogEntry.newBuilder()
            .setRequestId(requestId)
            .setEntityId(entity)
            .putAllFeatures(features)
            .setLabel("0")
            .setScore(0.8)
            .putClassProbabilities("0", 0.8)
            .putClassProbabilities("1", 0.2)
            .setModel("default")
            .setModelVersion(3)
            .setServedAtMs(T0 + 500)
            .setEntityKnown(true)
            .build();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
