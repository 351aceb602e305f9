package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap.SimpleEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Labels that name an entity and an event time join the entity's features as they were at that time. */
@ExtendWith(EmbeddedKafkaExtension.class)
class EntityLabelJoinIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final long T0 = 1_764_000_000_000L;
    private static final long WINDOW = 10 * 60_000;
    private static final long HISTORY_MS = 3_600_000;
    /** How long a label after the entity's newest vector waits for it, in record time. */
    private static final long WAIT_MS = 3_000;

    @TempDir
    Path dir;

    private KafkaTestCluster cluster;
    private String prefix;
    private FeatureStore store;

    /** One event of the stream: entity, event time, amount (unique, so a feature shows which events it saw). */
    private record Sent(String entity, long timeMs, double amount) {
    }

    @BeforeEach
    void start(KafkaTestCluster cluster) throws IOException {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "events", prefix + "labels", prefix + "dead-letter", prefix + "features",
            prefix + "predictions", prefix + "training-examples");
        Path view = dir.resolve("transactions.yaml");
        try (InputStream in = EntityLabelJoinIT.class.getResourceAsStream("/views/transactions.yaml")) {
            Files.write(view, in.readAllBytes());
        }
        startStore(WAIT_MS);
    }

    private void startStore(long waitMs) {
        Path view = dir.resolve("transactions.yaml");
        store = FeatureStore.start(Map.of(
            FeatureStoreConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
            FeatureStoreConfig.TOPICS_PREFIX_CONFIG, prefix,
            FeatureStoreConfig.VIEW_FILE_CONFIG, view.toString(),
            FeatureStoreConfig.STATE_DIR_CONFIG, dir.resolve("state").toString(),
            FeatureStoreConfig.FEATURE_HISTORY_MS_CONFIG, HISTORY_MS,
            FeatureStoreConfig.LABEL_WAIT_MS_CONFIG, waitMs));
    }

    @AfterEach
    void stop() {
        store.close();
    }

    @Test
    void anExampleCarriesTheFeaturesAsOfTheLabelsEventTimeAndNothingLater() throws Exception {
        Random random = new Random(42);
        List<Sent> sent = new ArrayList<>();
        List<SimpleEntry<String, String>> events = new ArrayList<>();
        long clock = T0;
        for (int i = 0; i < 90; i++) {
            clock += 1_000 + random.nextInt(120_000);
            Sent event = new Sent("u-" + random.nextInt(3), clock, i + 0.5);
            sent.add(event);
            events.add(new SimpleEntry<>(event.entity(), String.format(Locale.ROOT, "{\"event_id\":\"e-%d\","
                + "\"entity_id\":\"%s\",\"event_time\":%d,\"amount\":%s,\"velocity\":0.5,\"channel\":\"web\","
                + "\"is_new_device\":false}", i, event.entity(), event.timeMs(), event.amount())));
        }
        cluster.produceStrings(prefix + "events", new ArrayList<>(events));
        awaitHistoryHoldsTheNewestVectors(sent);

        // Labels at random event times, before, between and after the entity's events, and for an unknown entity.
        List<SimpleEntry<String, String>> labels = new ArrayList<>();
        Map<Long, String> labelEntity = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            String entity = i == 0 ? "u-unknown" : "u-" + random.nextInt(3);
            long at = T0 - 60_000 + (long) (random.nextDouble() * (clock - T0 + 120_000));
            if (labelEntity.putIfAbsent(at, entity) != null) {
                continue;
            }
            labels.add(new SimpleEntry<>(entity, label(entity, at, "L" + at)));
        }
        cluster.produceStrings(prefix + "labels", new ArrayList<>(labels));

        int expectedExamples = 0;
        int deadLetters = 0;
        int beforeFeatures = 0;
        for (Map.Entry<Long, String> label : labelEntity.entrySet()) {
            if (afterNewest(sent, label.getValue(), label.getKey())) {
                beforeFeatures++;
                deadLetters++;
            } else if (!joinable(sent, label.getValue(), label.getKey())) {
                deadLetters++;
            } else {
                expectedExamples++;
            }
        }
        assertThat(beforeFeatures).as("labels after an entity's newest event, which wait").isPositive();
        int examplesWanted = expectedExamples;
        int expectedDeadLetters = deadLetters;
        List<TrainingExample> examples = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : cluster.consumeUntil(prefix + "training-examples",
                records -> records.stream().filter(r -> parse(r).getLabel().startsWith("L")).count() >= examplesWanted,
                TIMEOUT)) {
            examples.add(TrainingExample.parseFrom(record.value()));
        }
        int checked = 0;
        for (TrainingExample example : examples) {
            if (!example.getLabel().startsWith("L")) {
                continue;
            }
            long at = Long.parseLong(example.getLabel().substring(1));
            assertThat(example.getPredictedAtMs()).isEqualTo(at);
            assertThat(example.getEntityId()).isEqualTo(labelEntity.get(at));
            Sent newest = asOf(sent, example.getEntityId(), at);
            assertThat(joinable(sent, example.getEntityId(), at)).as("an example for a label with no features that old")
                .isTrue();
            assertThat(example.getFeaturesMap()).as("features of %s as of %d", example.getEntityId(), at)
                .containsAllEntriesOf(expectedFeatures(sent, newest));
            checked++;
        }
        assertThat(checked).isEqualTo(expectedExamples);

        // A label after its entity's newest event waits for that event's vector; record time (these ticks) expires it.
        List<ConsumerRecord<byte[], byte[]>> deadLetterRecords = List.of();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (deadLetterRecords.isEmpty()) {
            cluster.produceStrings(prefix + "labels", List.of(new SimpleEntry<>("u-tick", label("u-tick", T0, "tick"))));
            try {
                deadLetterRecords = cluster.consumeUntil(prefix + "dead-letter",
                    records -> countTestLabels(records) >= expectedDeadLetters, Duration.ofSeconds(1));
            } catch (AssertionError notYet) {
                assertThat(System.nanoTime()).as("the waiting labels to expire").isLessThan(deadline);
            }
        }
        List<DeadLetter> unmatched = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : deadLetterRecords) {
            DeadLetter deadLetter = DeadLetter.parseFrom(record.value());
            if (deadLetter.getRawValue().toStringUtf8().contains("\"label\":\"L")) {
                unmatched.add(deadLetter);
            }
        }
        assertThat(unmatched).hasSize(expectedDeadLetters).allSatisfy(deadLetter ->
            assertThat(deadLetter.getSourceTopic()).isEqualTo(prefix + "labels"));
        assertThat(unmatched).filteredOn(d -> d.getReason() == DeadLetter.Reason.LABEL_BEFORE_FEATURES)
            .hasSize(beforeFeatures);
        assertThat(unmatched).anySatisfy(deadLetter -> assertThat(deadLetter.getDetail())
            .startsWith("no feature vector of entity 'u-unknown' arrived within 3000 ms"));
        assertThat(unmatched).anySatisfy(deadLetter -> assertThat(deadLetter.getDetail())
            .contains("featurestore.feature.history.ms (3600000) bounds how far back labels can reach"));
    }

    /**
     * A label waiting for its event's vector is state like any other: with the store stopped and its local state
     * deleted, it comes back from the changelog and joins the vector when it arrives, once.
     */
    @Test
    void aLabelWaitingForItsEventsVectorSurvivesARestartFromTheChangelogAndJoinsItOnce() throws Exception {
        // Long enough a wait that the restart's minutes of record time cannot expire the label.
        store.close();
        startStore(600_000);
        Sent first = new Sent("u-r", T0, 1.5);
        cluster.produceStrings(prefix + "events", List.of(new SimpleEntry<>("u-r", event(0, first))));
        awaitHistoryHoldsTheNewestVectors(List.of(first));
        cluster.produceStrings(prefix + "labels", List.of(new SimpleEntry<>("u-r", label("u-r", T0 + 60_000,
            "waiting"))));
        KafkaTestCluster.await("the label to be read", TIMEOUT, () -> store.stats().labelsIn() >= sentinels + 1);

        store.close();
        deleteRecursively(dir.resolve("state"));
        startStore(600_000);
        Sent second = new Sent("u-r", T0 + 60_000, 2.5);
        cluster.produceStrings(prefix + "events", List.of(new SimpleEntry<>("u-r", event(1, second))));

        List<TrainingExample> joined = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : cluster.consumeUntil(prefix + "training-examples",
                records -> records.stream().anyMatch(r -> parse(r).getLabel().equals("waiting")), TIMEOUT)) {
            TrainingExample example = parse(record);
            if (example.getLabel().equals("waiting")) {
                joined.add(example);
            }
        }
        assertThat(joined).singleElement().satisfies(example -> {
            assertThat(example.getPredictedAtMs()).isEqualTo(T0 + 60_000);
            assertThat(example.getFeaturesMap()).containsEntry("amount", 2.5);
        });
    }

    private static String event(int i, Sent event) {
        return String.format(Locale.ROOT, "{\"event_id\":\"e-%d\",\"entity_id\":\"%s\",\"event_time\":%d,"
            + "\"amount\":%s,\"velocity\":0.5,\"channel\":\"web\",\"is_new_device\":false}", i, event.entity(),
            event.timeMs(), event.amount());
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private int sentinels;

    /**
     * The label join reads the features topic in its own application: before the labels under test, labels at the
     * newest event of each entity are sent until their examples show the newest features, so the history is known
     * to be complete (an example joined too early shows older ones, and is sent again).
     */
    private void awaitHistoryHoldsTheNewestVectors(List<Sent> sent) throws InvalidProtocolBufferException {
        Map<String, Sent> newest = new HashMap<>();
        sent.forEach(event -> newest.put(event.entity(), event));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        for (Sent last : newest.values()) {
            while (true) {
                sentinels++;
                String tag = "sentinel-" + sentinels;
                cluster.produceStrings(prefix + "labels",
                    List.of(new SimpleEntry<>(last.entity(), label(last.entity(), last.timeMs(), tag))));
                List<ConsumerRecord<byte[], byte[]>> seen;
                try {
                    // A label joined before the history has the vector is dead-lettered or shows older features.
                    seen = cluster.consumeUntil(prefix + "training-examples",
                        records -> records.stream().anyMatch(r -> parse(r).getLabel().equals(tag)),
                        Duration.ofSeconds(3));
                } catch (AssertionError notJoined) {
                    assertThat(System.nanoTime()).as("the history to catch up").isLessThan(deadline);
                    continue;
                }
                TrainingExample example = seen.stream().map(EntityLabelJoinIT::parse)
                    .filter(e -> e.getLabel().equals(tag)).findFirst().orElseThrow();
                if (example.getFeaturesMap().getOrDefault("amount", -1.0) == last.amount()) {
                    break;
                }
                assertThat(System.nanoTime()).as("the history to catch up").isLessThan(deadline);
            }
        }
    }

    /** Dead letters of the labels under test (not of sentinels sent before the history caught up). */
    private static long countTestLabels(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream().filter(r -> {
            try {
                return DeadLetter.parseFrom(r.value()).getRawValue().toStringUtf8().contains("\"label\":\"L");
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }).count();
    }

    private static TrainingExample parse(ConsumerRecord<byte[], byte[]> record) {
        try {
            return TrainingExample.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Whether the history still holds the entity's vector as of {@code atMs}: it keeps an hour behind the entity's
     * newest event, and the newest vector before that hour.
     */
    private static boolean joinable(List<Sent> sent, String entity, long atMs) {
        Sent asOf = asOf(sent, entity, atMs);
        if (asOf == null) {
            return false;
        }
        long newest = sent.stream().filter(e -> e.entity().equals(entity)).mapToLong(Sent::timeMs).max()
            .orElseThrow();
        Sent lastBeforeCutoff = asOf(sent, entity, newest - HISTORY_MS - 1);
        return lastBeforeCutoff == null || asOf.timeMs() >= lastBeforeCutoff.timeMs();
    }

    /** Whether the label is for a known entity and later than its newest event: no vector reaches its time. */
    private static boolean afterNewest(List<Sent> sent, String entity, long atMs) {
        return sent.stream().filter(e -> e.entity().equals(entity)).mapToLong(Sent::timeMs).max()
            .orElse(Long.MAX_VALUE) < atMs;
    }

    /** The entity's newest event at or before {@code atMs}, or null. */
    private static Sent asOf(List<Sent> sent, String entity, long atMs) {
        Sent best = null;
        for (Sent event : sent) {
            if (event.entity().equals(entity) && event.timeMs() <= atMs) {
                best = event;
            }
        }
        return best;
    }

    /** The view's features right after {@code newest}: only events of the entity at or before it count. */
    private static Map<String, Double> expectedFeatures(List<Sent> sent, Sent newest) {
        int count = 0;
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (Sent event : sent) {
            if (event.entity().equals(newest.entity()) && event.timeMs() <= newest.timeMs()
                    && event.timeMs() > newest.timeMs() - WINDOW) {
                count++;
                sum += event.amount();
                max = Math.max(max, event.amount());
            }
        }
        return Map.of("amount", newest.amount(), "events_10m", (double) count, "amount_mean_10m", sum / count,
            "amount_max_10m", max);
    }

    private static String label(String entity, long atMs, String label) {
        return String.format(Locale.ROOT, "{\"entity_id\":\"%s\",\"event_time\":%d,\"label\":\"%s\"}", entity, atMs,
            label);
    }
}
