package dev.freshet.featurestore.internal.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.nio.file.Path;
import java.util.List;

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

    @TempDir
    Path stateDir;

    private DrivenTopology historyJoin() {
        return new DrivenTopology(FeatureStoreTopology.buildLabelJoin(DrivenTopology.TOPICS, 60_000, new Counters(),
            1, HISTORY_MS), stateDir);
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
    void deadLettersALabelOfAnEntityWithNoFeatures() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0, 1), T0);
            driven.label("u9", label("u9", T0, "ok"), T0);

            assertThat(driven.trainingExamples()).isEmpty();
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> assertThat(
                deadLetter.getDetail()).startsWith("no feature vector of entity 'u9' is kept"));
        }
    }

    @Test
    void anEntitysTombstoneRemovesItsHistoryInThatView() {
        try (DrivenTopology driven = historyJoin()) {
            driven.featureRecord("payments/u1", vector("payments", "u1", T0, 1), T0);
            driven.featureRecord("logins/u1", vector("logins", "u1", T0, 5), T0);
            driven.featureRecord("payments/u1", null, T0 + 1);
            driven.label("u1", label("u1", T0 + 1_000, "ok"), T0 + 2);
            driven.featureRecord("logins/u1", null, T0 + 3);
            driven.label("u1", label("u1", T0 + 1_000, "ok"), T0 + 4);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> assertThat(
                example.getFeaturesMap()).containsOnly(entry("logins_amount", 5.0)));
            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> assertThat(
                deadLetter.getDetail()).startsWith("no feature vector of entity 'u1' is kept"));
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
