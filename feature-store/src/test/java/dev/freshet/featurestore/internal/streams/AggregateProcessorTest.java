package dev.freshet.featurestore.internal.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.freshet.contracts.Topic;
import dev.freshet.featurestore.FeatureStoreConfig;
import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ingestion topology of one view ({@link FeatureStoreTopology#buildIngestion}), as the feature store runs it:
 * events in, one feature vector per accepted event out, late events dead-lettered, expired entities tombstoned.
 */
class AggregateProcessorTest {
    private static final long T0 = 1_767_600_000_000L;
    private static final long MINUTE = 60_000;
    private static final FeatureView PAYMENTS = new FeatureView("payments", 3, "user_id", "event_time",
        Duration.ofSeconds(30),
        List.of(new Field("amount", "amount", FieldType.NUMBER, false),
            new Field("channel", "channel", FieldType.STRING, false)),
        List.of(new Aggregation("amount_sum_10m", Function.SUM, "amount", Duration.ofMinutes(10)),
            new Aggregation("events_10m", Function.COUNT, null, Duration.ofMinutes(10))));

    @TempDir
    Path stateDir;

    private static Topology ingestion(int entityPartitions) {
        return FeatureStoreTopology.buildIngestion(PAYMENTS, DrivenTopology.TOPICS, 60_000, new Counters(),
            entityPartitions, () -> true);
    }

    private static String payment(String user, long eventTimeMs, double amount) {
        return String.format(Locale.ROOT, "{\"user_id\":\"%s\",\"event_time\":%d,\"amount\":%s,\"channel\":\"web\"}",
            user, eventTimeMs, amount);
    }

    @Test
    void writesOneVectorPerEventWithTheTrailingWindowAsOfTheEntitysNewestEvent() {
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir)) {
            driven.event("u1", payment("u1", T0, 10), T0);
            driven.event("u1", payment("u1", T0 + 5 * MINUTE, 20), T0 + 5 * MINUTE);
            // (T - 10m, T] no longer holds the first event.
            driven.event("u1", payment("u1", T0 + 11 * MINUTE, 5), T0 + 11 * MINUTE);

            List<KeyValue<String, FeatureVector>> vectors = driven.features();
            assertThat(vectors).extracting(kv -> kv.key).containsOnly("payments/u1");
            assertThat(vectors).extracting(kv -> kv.value.getEventTimeMs())
                .containsExactly(T0, T0 + 5 * MINUTE, T0 + 11 * MINUTE);
            assertThat(vectors).allSatisfy(kv -> {
                assertThat(kv.value.getEntityId()).isEqualTo("u1");
                assertThat(kv.value.getView()).isEqualTo("payments");
                assertThat(kv.value.getViewVersion()).isEqualTo(3);
            });
            assertThat(vectors.get(0).value.getValuesMap()).containsOnly(entry("amount", 10.0),
                entry("channel=web", 1.0), entry("amount_sum_10m", 10.0), entry("events_10m", 1.0));
            assertThat(vectors.get(1).value.getValuesMap()).contains(entry("amount", 20.0),
                entry("amount_sum_10m", 30.0), entry("events_10m", 2.0));
            assertThat(vectors.get(2).value.getValuesMap()).contains(entry("amount", 5.0),
                entry("amount_sum_10m", 25.0), entry("events_10m", 2.0));
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void keepsEachEntitysStateApart() {
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir)) {
            driven.event("u1", payment("u1", T0, 10), T0);
            driven.event("u2", payment("u2", T0 + 1, 100), T0 + 1);
            driven.event("u1", payment("u1", T0 + 2, 1), T0 + 2);

            assertThat(driven.features()).extracting(kv -> kv.key, kv -> kv.value.getValuesMap().get("amount_sum_10m"))
                .containsExactly(tuple("payments/u1", 10.0),
                    tuple("payments/u2", 100.0),
                    tuple("payments/u1", 11.0));
        }
    }

    /** Zero partitions: every event takes the by-entity repartition topic; one: every event is already home. */
    @ParameterizedTest(name = "entity partitions {0}")
    @ValueSource(ints = {0, 1})
    void eventsGiveTheSameVectorsWhetherOrNotTheyTakeTheRepartitionTopic(int entityPartitions) {
        try (DrivenTopology driven = new DrivenTopology(ingestion(entityPartitions), stateDir)) {
            driven.event(null, payment("u1", T0, 10), T0);
            driven.event("another-key", payment("u1", T0 + MINUTE, 2.5), T0 + MINUTE);

            assertThat(driven.features()).extracting(kv -> kv.key, kv -> kv.value.getValuesMap())
                .containsExactly(
                    tuple("payments/u1", Map.of("amount", 10.0, "channel=web", 1.0,
                        "amount_sum_10m", 10.0, "events_10m", 1.0)),
                    tuple("payments/u1", Map.of("amount", 2.5, "channel=web", 1.0,
                        "amount_sum_10m", 12.5, "events_10m", 2.0)));
        }
    }

    @Test
    void foldsAnOutOfOrderEventWithinTheGraceIntoTheWindowButKeepsTheNewestValues() {
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir)) {
            driven.event("u1", payment("u1", T0 + 20 * MINUTE, 1), T0);
            driven.event("u1", payment("u1", T0 + 15 * MINUTE, 7), T0 + 1);

            List<KeyValue<String, FeatureVector>> vectors = driven.features();
            assertThat(vectors).hasSize(2);
            FeatureVector afterLate = vectors.get(1).value;
            assertThat(afterLate.getEventTimeMs()).isEqualTo(T0 + 20 * MINUTE);
            assertThat(afterLate.getValuesMap()).contains(entry("amount", 1.0), entry("amount_sum_10m", 8.0),
                entry("events_10m", 2.0));
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void deadLettersAnEventThatWouldGrowItsEntitysStatePastTheRecordLimitAndKeepsTheEntityAsItWas() {
        Map<String, Object> smallest = Map.of(FeatureStoreConfig.RECORD_MAX_BYTES_CONFIG, 64 * 1024);
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir, smallest)) {
            // One event every 100 ms: a 10-minute trailing window would keep 6,000 of them, far past 64 KiB.
            int sent = 6_000;
            for (int i = 0; i < sent; i++) {
                driven.event("hot", payment("hot", T0 + i * 100L, 1), T0 + i * 100L);
            }
            driven.event("calm", payment("calm", T0, 7), T0);

            List<DeadLetter> full = driven.deadLetters();
            List<KeyValue<String, FeatureVector>> vectors = driven.features();
            assertThat(full).isNotEmpty().allSatisfy(d -> {
                assertThat(d.getReason()).isEqualTo(DeadLetter.Reason.ENTITY_STATE_FULL);
                assertThat(d.getDetail()).contains("entity 'hot'").contains("featurestore.record.max.bytes");
            });
            long hotVectors = vectors.stream().filter(kv -> kv.key.equals("payments/hot")).count();
            assertThat(hotVectors + full.size()).as("every event is either folded in or dead-lettered").isEqualTo(sent);
            // The last accepted vector counts exactly the events the entity kept; the refused ones left no trace.
            FeatureVector lastHot = vectors.stream().filter(kv -> kv.key.equals("payments/hot"))
                .reduce((first, second) -> second).orElseThrow().value;
            assertThat(lastHot.getValuesMap().get("events_10m")).isEqualTo((double) hotVectors);
            assertThat(vectors).filteredOn(kv -> kv.key.equals("payments/calm")).hasSize(1);

            // Once the window has moved on, the entity takes events again.
            driven.event("hot", payment("hot", T0 + 30 * MINUTE, 5), T0 + 30 * MINUTE);
            assertThat(driven.features()).extracting(kv -> kv.key).containsExactly("payments/hot");
        }
    }

    @Test
    void deadLettersAnEventTooLateForEveryWindowWithWhereItCameFromAndLeavesTheFeaturesAsTheyWere() {
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir)) {
            driven.event("u1", payment("u1", T0 + 20 * MINUTE, 1), T0);
            // Older than T - (10 minutes + 30 s grace) by one millisecond.
            String late = payment("u1", T0 + 20 * MINUTE - 10 * MINUTE - 30_000 - 1, 99);
            driven.event("late-key", late, T0 + 1);
            driven.event("u1", payment("u1", T0 + 21 * MINUTE, 2), T0 + 2);

            assertThat(driven.features()).extracting(kv -> kv.value.getValuesMap().get("amount_sum_10m"))
                .containsExactly(1.0, 3.0);
            List<KeyValue<String, DeadLetter>> deadLetters = driven.keyedDeadLetters();
            assertThat(deadLetters).extracting(kv -> kv.key).containsExactly("late-key");
            DeadLetter deadLetter = deadLetters.get(0).value;
            assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.LATE_EVENT);
            assertThat(deadLetter.getField()).isEqualTo("event_time");
            assertThat(deadLetter.getView()).isEqualTo("payments");
            assertThat(deadLetter.getSourceTopic()).isEqualTo(DrivenTopology.TOPICS.name(Topic.EVENTS));
            assertThat(deadLetter.getSourcePartition()).isZero();
            assertThat(deadLetter.getSourceOffset()).isEqualTo(1);
            assertThat(deadLetter.getRawValue().toStringUtf8()).isEqualTo(late);
            assertThat(deadLetter.getDetail()).contains("630001 ms older than entity 'u1''s newest event time",
                "too late for every window", "amount_sum_10m: trailing window 600000 ms, grace 30000 ms");
            assertThat(deadLetter.getDeadLetteredAtMs()).isEqualTo(DrivenTopology.WALL_CLOCK_START.toEpochMilli());
        }
    }

    @Test
    void deadLettersAnEventThatDoesNotParseUnderItsOriginalKeyWithTheReason() {
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir)) {
            driven.event("k1", "{\"user_id\":\"u1\",", T0);
            driven.event("k2", "{\"event_time\":1,\"amount\":1,\"channel\":\"web\"}", T0);
            driven.event("k3", "{\"user_id\":\"u1\",\"event_time\":1,\"amount\":\"ten\",\"channel\":\"web\"}", T0);
            driven.eventBytes("k4", null, T0);

            assertThat(driven.features()).isEmpty();
            List<KeyValue<String, DeadLetter>> records = driven.keyedDeadLetters();
            assertThat(records).extracting(kv -> kv.key).containsExactly("k1", "k2", "k3", "k4");
            List<DeadLetter> deadLetters = records.stream().map(kv -> kv.value).toList();
            assertThat(deadLetters).extracting(DeadLetter::getReason).containsExactly(
                DeadLetter.Reason.MALFORMED_JSON, DeadLetter.Reason.MISSING_FIELD, DeadLetter.Reason.WRONG_TYPE,
                DeadLetter.Reason.MALFORMED_JSON);
            assertThat(deadLetters).extracting(DeadLetter::getField).containsExactly("", "user_id", "amount", "");
            assertThat(deadLetters).extracting(DeadLetter::getSourceOffset).containsExactly(0L, 1L, 2L, 3L);
            assertThat(deadLetters.get(1).getDetail()).contains("the event has no 'user_id'");
            assertThat(deadLetters.get(0).getRawValue().toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"user_id\":\"u1\",");
        }
    }

    @Test
    void anEventACenturyAheadIsDeadLetteredAndMovesNeitherItsEntityNorTheExpiryOfOthers() {
        Map<String, Object> ttl = Map.of(FeatureStoreConfig.ENTITY_TTL_MS_CONFIG, 60 * MINUTE);
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir, ttl)) {
            driven.event("u1", payment("u1", T0, 10), T0);
            driven.event("u2", payment("u2", T0 + MINUTE, 1), T0 + MINUTE);
            driven.features();
            long century = 100L * 365 * 24 * 60 * MINUTE;

            driven.event("u1", payment("u1", T0 + century, 99), T0 + 2 * MINUTE);
            assertThat(driven.features()).as("no vector and no tombstone").isEmpty();
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> {
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.EVENT_TIME_OUT_OF_RANGE);
                assertThat(deadLetter.getField()).isEqualTo("event_time");
                assertThat(deadLetter.getDetail()).contains("featurestore.event.time.max.future.ms");
                assertThat(deadLetter.getView()).isEqualTo("payments");
            });

            driven.event("u1", payment("u1", T0 + 3 * MINUTE, 5), T0 + 3 * MINUTE);
            assertThat(driven.features()).singleElement().satisfies(kv -> {
                assertThat(kv.key).isEqualTo("payments/u1");
                assertThat(kv.value.getEventTimeMs()).isEqualTo(T0 + 3 * MINUTE);
                assertThat(kv.value.getValuesMap()).contains(entry("amount_sum_10m", 15.0), entry("events_10m", 2.0));
            });
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void aStringValueBeyondTheFieldsVocabularyIsEncodedAsTheOverflowFeature() {
        Map<String, Object> twoCategories = Map.of(FeatureStoreConfig.CATEGORY_MAX_VALUES_CONFIG, 2);
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir, twoCategories)) {
            driven.event("u1", channel("u1", T0, "web"), T0);
            driven.event("u2", channel("u2", T0, "app"), T0);
            driven.event("u3", channel("u3", T0, "pos"), T0);
            driven.event("u1", channel("u1", T0 + MINUTE, "kiosk"), T0 + MINUTE);
            driven.event("u3", channel("u3", T0 + 2 * MINUTE, "app"), T0 + 2 * MINUTE);

            assertThat(driven.features()).extracting(kv -> kv.key, kv -> kv.value.getValuesMap().keySet().stream()
                    .filter(name -> name.startsWith("channel=")).toList())
                .containsExactly(tuple("payments/u1", List.of("channel=web")),
                    tuple("payments/u2", List.of("channel=app")),
                    tuple("payments/u3", List.of("channel=__other__")),
                    tuple("payments/u1", List.of("channel=__other__")),
                    tuple("payments/u3", List.of("channel=app")));
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void anEntityIdOrStringLongerThanItsLimitIsDeadLetteredAsValueTooLong() {
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir)) {
            driven.event("k1", payment("u".repeat(500_000), T0, 10), T0);
            driven.event("u1", channel("u1", T0, "w".repeat(900_000)), T0);

            assertThat(driven.features()).isEmpty();
            List<DeadLetter> deadLetters = driven.deadLetters();
            assertThat(deadLetters).extracting(DeadLetter::getReason).containsOnly(DeadLetter.Reason.VALUE_TOO_LONG);
            assertThat(deadLetters).extracting(DeadLetter::getField).containsExactly("user_id", "channel");
            assertThat(deadLetters.get(0).getDetail()).contains("500000 characters long")
                .contains("featurestore.entity.id.max.chars");
            assertThat(deadLetters.get(1).getDetail()).contains("900000 characters long")
                .contains("featurestore.string.value.max.chars");
        }
    }

    private static String channel(String user, long eventTimeMs, String channel) {
        return String.format(Locale.ROOT, "{\"user_id\":\"%s\",\"event_time\":%d,\"amount\":1,\"channel\":\"%s\"}",
            user, eventTimeMs, channel);
    }

    /** Expiry sweeps at most every tenth of the TTL of event time: an entity goes between TTL and TTL * 1.1. */
    @Test
    void anEntityUnseenForTheTtlOfEventTimeIsTombstonedAndStartsAfresh() {
        Map<String, Object> ttl = Map.of(FeatureStoreConfig.ENTITY_TTL_MS_CONFIG, 60 * MINUTE);
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir, ttl)) {
            driven.event("u1", payment("u1", T0, 10), T0);
            driven.event("u2", payment("u2", T0 + 59 * MINUTE, 1), T0 + 1);
            assertThat(driven.features()).extracting(kv -> kv.key).containsExactly("payments/u1", "payments/u2");

            // Another entity's event moves the task's event time past u1's newest event by the TTL and a tenth.
            driven.event("u2", payment("u2", T0 + 66 * MINUTE, 1), T0 + 2);
            List<KeyValue<String, FeatureVector>> afterTtl = driven.features();
            assertThat(afterTtl).extracting(kv -> kv.key).containsExactly("payments/u2", "payments/u1");
            assertThat(afterTtl.get(1).value).as("u1's tombstone").isNull();

            driven.event("u1", payment("u1", T0 + 67 * MINUTE, 3), T0 + 3);
            assertThat(driven.features()).singleElement().satisfies(kv -> assertThat(kv.value.getValuesMap())
                .contains(entry("amount_sum_10m", 3.0), entry("events_10m", 1.0)));
        }
    }

    @Test
    void withoutATtlNoEntityExpiresHoweverFarEventTimeMoves() {
        // A year ahead is accepted only with featurestore.event.time.max.future.ms raised to allow it.
        try (DrivenTopology driven = new DrivenTopology(ingestion(1), stateDir,
                Map.of(FeatureStoreConfig.EVENT_TIME_MAX_FUTURE_MS_CONFIG, 2 * 365L * 24 * 60 * MINUTE))) {
            driven.event("u1", payment("u1", T0, 10), T0);
            driven.event("u2", payment("u2", T0 + 365L * 24 * 60 * MINUTE, 1), T0 + 1);
            driven.event("u1", payment("u1", T0 + 1, 1), T0 + 2);

            assertThat(driven.features()).extracting(kv -> kv.key, kv -> kv.value.getValuesMap().get("events_10m"))
                .containsExactly(tuple("payments/u1", 1.0),
                    tuple("payments/u2", 1.0),
                    tuple("payments/u1", 2.0));
        }
    }

    @Test
    void aJoinedLabelReEmitsTheEntitysVectorWithTheLabelFeatureAndWritesNoExampleItself() {
        FeatureView labelled = new FeatureView("payments", 4, "user_id", "event_time", Duration.ofSeconds(30),
            PAYMENTS.fields(), PAYMENTS.aggregations(), List.of(), new FeatureView.LabelFeature("last_label"),
            "event_id");
        // The label comes two minutes of record time after its prediction: within a ten-minute wait.
        Topology topology = FeatureStoreTopology.buildIngestion(labelled, DrivenTopology.TOPICS, 10 * MINUTE,
            new Counters(), 1, () -> true);
        try (DrivenTopology driven = new DrivenTopology(topology, stateDir)) {
            driven.event("u1", "{\"event_id\":\"r1\",\"user_id\":\"u1\",\"event_time\":" + T0
                + ",\"amount\":10,\"channel\":\"web\"}", T0);
            driven.event("u1", "{\"event_id\":\"r2\",\"user_id\":\"u1\",\"event_time\":" + (T0 + MINUTE)
                + ",\"amount\":20,\"channel\":\"web\"}", T0 + MINUTE);
            assertThat(driven.features()).hasSize(2).allSatisfy(kv -> assertThat(kv.value.getValuesMap())
                .doesNotContainKey("last_label=fraud"));

            driven.prediction("r1", PredictionLogEntry.newBuilder().setRequestId("r1")
                .setEntityId("u1").setServedAtMs(T0).build().toByteArray(), T0);
            driven.label("r1", "{\"request_id\":\"r1\",\"label\":\"fraud\"}", T0 + 2 * MINUTE);

            assertThat(driven.features()).singleElement().satisfies(kv -> {
                assertThat(kv.key).isEqualTo("payments/u1");
                assertThat(kv.value.getEventTimeMs()).isEqualTo(T0 + MINUTE);
                assertThat(kv.value.getValuesMap()).contains(entry("last_label=fraud", 1.0),
                    entry("amount_sum_10m", 30.0));
            });
            assertThat(driven.trainingExamples()).as("only the label-join application writes examples").isEmpty();
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    /**
     * The measured failure: with labels by entity and event time, no example ever carried the label feature; only
     * labels by request id reached the entity's state.
     */
    @Test
    void aLabelByEntityAndEventTimeReachesTheLabelFeatureFromTheEntitysNextEventOn() {
        FeatureView labelled = new FeatureView("payments", 4, "user_id", "event_time", Duration.ofSeconds(30),
            PAYMENTS.fields(), PAYMENTS.aggregations(), List.of(), new FeatureView.LabelFeature("last_label"), null);
        Counters counters = new Counters();
        Topology topology = FeatureStoreTopology.buildIngestion(labelled, DrivenTopology.TOPICS, 10 * MINUTE,
            counters, 1, () -> true);
        try (DrivenTopology driven = new DrivenTopology(topology, stateDir)) {
            driven.event("u1", payment("u1", T0, 10), T0);
            driven.event("u1", payment("u1", T0 + MINUTE, 20), T0 + MINUTE);
            driven.features();

            driven.label("u1", "{\"entity_id\":\"u1\",\"event_time\":" + T0 + ",\"label\":12.5}", T0 + MINUTE);
            assertThat(driven.features()).singleElement().satisfies(kv -> {
                assertThat(kv.value.getEventTimeMs()).isEqualTo(T0 + MINUTE);
                assertThat(kv.value.getValuesMap()).contains(entry("last_label=12.5", 1.0));
            });
            // The newest event's own label shows only from the next event on: the model must not see it first.
            driven.label("u1", "{\"entity_id\":\"u1\",\"event_time\":" + (T0 + MINUTE) + ",\"label\":7}",
                T0 + MINUTE);
            assertThat(driven.features()).isEmpty();
            driven.event("u1", payment("u1", T0 + 2 * MINUTE, 30), T0 + 2 * MINUTE);
            assertThat(driven.features()).singleElement().satisfies(kv -> assertThat(kv.value.getValuesMap())
                .contains(entry("last_label=7", 1.0)).doesNotContainKey("last_label=12.5"));

            assertThat(driven.deadLetters()).isEmpty();
            assertThat(counters.snapshot().labelsIn()).as("the label-join application counts labels").isZero();
            assertThat(counters.snapshot().deadLettered()).isEmpty();
        }
    }
}
