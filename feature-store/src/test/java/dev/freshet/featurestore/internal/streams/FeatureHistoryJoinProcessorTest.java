package dev.freshet.featurestore.internal.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.freshet.contracts.Topic;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The label join with a feature history ({@link FeatureStoreTopology#buildLabelJoin} with {@code historyMs > 0}):
 * a label naming an entity and an event time joins, in every view, the entity's newest feature vector at or before
 * that time, read from the features topic; nothing later can reach the example.
 */
class FeatureHistoryJoinProcessorTest {
    private static final long HISTORY_MS = 10_000;
    private static final long T0 = 1_767_600_000_000L;

    private static final long WAIT_MS = 60_000;
    /** The wait, and the tenth of it by which expiry may run late. */
    private static final long EXPIRED = WAIT_MS + WAIT_MS / 10;

    @TempDir
    Path stateDir;

    private final Counters counters = new Counters();

    private DrivenTopology historyJoin() {
        return new DrivenTopology(FeatureStoreTopology.buildLabelJoin(DrivenTopology.TOPICS, WAIT_MS, counters,
            1, HISTORY_MS), stateDir);
    }

    /** Moves the join's record time to {@code atMs} with a vector of an entity no test labels. */
    private static void tick(DrivenTopology driven, long atMs) {
        driven.featureRecord("payments/u-tick", vector("payments", "u-tick", atMs, 0), atMs);
    }

    private static FeatureVector vector(String view, String entity, long eventTimeMs, double amount) {
        return FeatureVector.newBuilder().setView(view).setViewVersion(1).setEntityId(entity)
            .setEventTimeMs(eventTimeMs).putValues(view + "_amount", amount).build();
    }

    private static String label(String entity, long eventTimeMs, String label) {
        return "{\"entity_id\":\"" + entity + "\",\"event_time\":" + eventTimeMs + ",\"label\":\"" + label + "\"}";
    }

    @Test
    void aLabelJoinsTheNewestVectorAtOrBeforeItsEventTime() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 1_000, 1), T0);
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 2_000, 2), T0);
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 3_000, 3), T0);
            driven.label("u1", label("u1", T0 + 2_500, "between"), T0 + 9_000);
            driven.label("u1", label("u1", T0 + 3_000, "at"), T0 + 9_001);

            List<KeyValue<String, TrainingExample>> examples = driven.keyedTrainingExamples();
            assertThat(examples).extracting(kv -> kv.key).containsExactly("u1", "u1");
            TrainingExample between = examples.get(0).value;
            assertThat(between.getEntityId()).isEqualTo("u1");
            assertThat(between.getLabel()).isEqualTo("between");
            assertThat(between.getFeaturesMap()).containsOnly(entry("payments_amount", 2.0));
            assertThat(between.getPredictedAtMs()).isEqualTo(T0 + 2_500);
            assertThat(between.getLabelArrivedAtMs()).isEqualTo(T0 + 9_000);
            assertThat(examples.get(1).value.getFeaturesMap()).containsOnly(entry("payments_amount", 3.0));
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void aLabelJoinsEveryViewsVectorAsOfItsEventTime() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 1_000, 1), T0);
            driven.featureRecord("logins/u1", vector("logins", "u1", T0 + 1_500, 5), T0);
            driven.featureRecord("logins/u1", vector("logins", "u1", T0 + 4_000, 6), T0);
            driven.featureRecord("payments/u2", vector("payments", "u2", T0 + 1_000, 100), T0);
            driven.label("u1", label("u1", T0 + 2_000, "ok"), T0 + 5_000);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> assertThat(
                example.getFeaturesMap()).containsOnly(entry("payments_amount", 1.0), entry("logins_amount", 5.0)));
        }
    }

    @Test
    void keepsTheNewestVectorOlderThanTheHistorySoThatItStillAnswersUntilTheNextOne() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0, 1), T0);
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 4_000, 2), T0);
            // The history now reaches back to T0 + 5,000: the vector at T0 + 4,000 still holds there, T0's does not.
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 15_000, 3), T0);
            driven.label("u1", label("u1", T0 + 4_500, "kept"), T0 + 20_000);
            driven.label("u1", label("u1", T0 + 1_000, "dropped"), T0 + 20_001);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> {
                assertThat(example.getLabel()).isEqualTo("kept");
                assertThat(example.getFeaturesMap()).containsOnly(entry("payments_amount", 2.0));
            });
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> {
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.UNMATCHED_LABEL);
                assertThat(deadLetter.getField()).isEqualTo("event_time");
                assertThat(deadLetter.getDetail()).isEqualTo("the oldest feature vector of entity 'u1' kept is at "
                    + "event time " + (T0 + 4_000) + ", after the label's event time " + (T0 + 1_000)
                    + "; featurestore.feature.history.ms (10000) bounds how far back labels can reach");
                assertThat(deadLetter.getSourceTopic()).isEqualTo(DrivenTopology.TOPICS.name(Topic.LABELS));
                assertThat(deadLetter.getSourceOffset()).isEqualTo(1);
                assertThat(deadLetter.getRawValue().toStringUtf8()).isEqualTo(label("u1", T0 + 1_000, "dropped"));
            });
        }
    }

    @Test
    void deadLettersALabelOfAnEntityWhoseFeaturesNeverArriveWithinTheWait() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0, 1), T0);
            driven.label("u9", label("u9", T0, "ok"), T0);
            tick(driven, T0 + WAIT_MS - 1);
            assertThat(driven.deadLetters()).isEmpty();
            tick(driven, T0 + EXPIRED);

            assertThat(driven.trainingExamples()).isEmpty();
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> {
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.UNMATCHED_LABEL);
                assertThat(deadLetter.getDetail()).isEqualTo("no feature vector of entity 'u9' arrived within 60000 "
                    + "ms (featurestore.label.wait.ms); check that its events reach a running view");
            });
            assertThat(counters.snapshot().labelsLeftOut()).isEqualTo(Map.of("UNMATCHED_LABEL", 1L));
        }
    }

    /**
     * The measured failure: on a single-entity series, a label sent before its event's vector joined the previous
     * day's vector. It now waits for the vector of its own event time.
     */
    @Test
    void aLabelBeforeItsEventsVectorWaitsForThatVectorAndNeverJoinsAnOlderOne() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 1_000, 1), T0 + 1_000);
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 2_000, 2), T0 + 2_000);
            driven.label("u1", label("u1", T0 + 3_000, "third"), T0 + 2_500);
            assertThat(driven.trainingExamples()).isEmpty();

            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 3_000, 3), T0 + 3_000);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> {
                assertThat(example.getLabel()).isEqualTo("third");
                assertThat(example.getPredictedAtMs()).isEqualTo(T0 + 3_000);
                assertThat(example.getFeaturesMap()).containsOnly(entry("payments_amount", 3.0));
            });
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void aWaitingLabelJoinsAsOfItsTimeOnceALaterVectorShowsTheFeaturesPassedIt() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 1_000, 1), T0 + 1_000);
            driven.label("u1", label("u1", T0 + 2_000, "between"), T0 + 1_500);
            // The event at T0 + 2,000 never made a vector (say it was dead-lettered); the next one did.
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 5_000, 5), T0 + 5_000);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example ->
                assertThat(example.getFeaturesMap()).containsOnly(entry("payments_amount", 1.0)));
        }
    }

    @Test
    void aLabelWhoseVectorDoesNotArriveWithinTheWaitIsDeadLetteredAsLabelBeforeFeatures() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 1_000, 1), T0 + 1_000);
            driven.label("u1", label("u1", T0 + 3_000, "third"), T0 + 2_000);
            tick(driven, T0 + 2_000 + EXPIRED);

            assertThat(driven.trainingExamples()).isEmpty();
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> {
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.LABEL_BEFORE_FEATURES);
                assertThat(deadLetter.getField()).isEqualTo("event_time");
                assertThat(deadLetter.getDetail()).startsWith("the newest feature vector of entity 'u1' is at event "
                    + "time " + (T0 + 1_000) + ", before the label's event time " + (T0 + 3_000) + ", and none at "
                    + "or after it arrived within 60000 ms (featurestore.label.wait.ms)");
                assertThat(deadLetter.getRawValue().toStringUtf8()).isEqualTo(label("u1", T0 + 3_000, "third"));
            });
            assertThat(counters.snapshot().labelsLeftOut()).isEqualTo(Map.of("LABEL_BEFORE_FEATURES", 1L));
            // Gone once dead-lettered: the vector arriving later makes no example.
            driven.featureRecord("payments/u1", vector("payments", "u1", T0 + 3_000, 3), T0 + 3_000 + WAIT_MS);
            assertThat(driven.trainingExamples()).isEmpty();
        }
    }

    @Test
    void aNumericLabelByEntityJoinsAsItsExactText() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0, 1), T0);
            driven.label("u1", "{\"entity_id\":\"u1\",\"event_time\":" + T0 + ",\"label\":15.732}", T0 + 1);

            assertThat(driven.deadLetters()).isEmpty();
            assertThat(driven.trainingExamples()).singleElement().satisfies(example ->
                assertThat(example.getLabel()).isEqualTo("15.732"));
        }
    }

    /** Many vectors of one entity: each label still finds its own day's vector by a seek, in any order. */
    @Test
    void aLongSingleEntitySeriesJoinsEveryLabelWithItsOwnVector() {
        long day = 86_400_000L;
        long start = T0 - 1_000 * day;
        try (DrivenTopology driven = new DrivenTopology(FeatureStoreTopology.buildLabelJoin(DrivenTopology.TOPICS,
                WAIT_MS, counters, 1, 10_000 * day), stateDir)) {
            for (int i = 0; i < 1_000; i++) {
                driven.featureRecord("payments/u1", vector("payments", "u1", start + i * day, i), T0);
                driven.featureRecord("logins/u1", vector("logins", "u1", start + i * day + 1, -i), T0);
            }
            for (int i = 999; i >= 0; i -= 7) {
                driven.label("u1", label("u1", start + i * day + 1, Integer.toString(i)), T0);
            }

            List<TrainingExample> examples = driven.trainingExamples();
            assertThat(examples).hasSize(143);
            assertThat(examples).allSatisfy(example -> {
                double i = Double.parseDouble(example.getLabel());
                assertThat(example.getFeaturesMap()).containsOnly(entry("payments_amount", i),
                    entry("logins_amount", -i));
            });
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void anEntitysTombstoneRemovesItsHistoryInThatView() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0, 1), T0);
            driven.featureRecord("logins/u1", vector("logins", "u1", T0, 5), T0);
            driven.featureRecord("payments/u1", null, T0 + 1);
            driven.label("u1", label("u1", T0, "ok"), T0 + 2);
            driven.featureRecord("logins/u1", null, T0 + 3);
            driven.label("u1", label("u1", T0, "ok"), T0 + 4);

            tick(driven, T0 + 4 + EXPIRED);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> assertThat(
                example.getFeaturesMap()).containsOnly(entry("logins_amount", 5.0)));
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> assertThat(
                deadLetter.getDetail()).startsWith("no feature vector of entity 'u1' arrived within"));
        }
    }

    @Test
    void labelsByRequestIdStillJoinTheirPredictions() {
        try (DrivenTopology driven = historyJoin()) {
            driven.prediction("r1", PredictionLogEntry.newBuilder().setRequestId("r1").setEntityId("u1")
                .putFeatures("served", 1.0).setServedAtMs(T0).build().toByteArray(), T0);
            driven.label("r1", "{\"request_id\":\"r1\",\"label\":\"ok\"}", T0 + 1);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> {
                assertThat(example.getRequestId()).isEqualTo("r1");
                assertThat(example.getFeaturesMap()).containsOnly(entry("served", 1.0));
            });
        }
    }
}
