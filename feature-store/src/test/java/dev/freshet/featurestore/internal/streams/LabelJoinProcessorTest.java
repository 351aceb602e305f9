package dev.freshet.featurestore.internal.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.freshet.contracts.Topic;
import dev.freshet.featurestore.FeatureStoreStats;
import dev.freshet.proto.features.v1.DeadLetter;
import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The label join ({@link FeatureStoreTopology#buildLabelJoin}), as the feature store runs it: logged predictions and
 * labels by request id in, training examples with the features as served out; what cannot be joined is
 * dead-lettered with the reason. The label wait runs on the records' timestamps (the join time), which the tests
 * move on by writing later records; the driver's wall clock only bounds how far ahead a credible timestamp may be.
 */
class LabelJoinProcessorTest {
    private static final long WAIT_MS = 60_000;
    private static final long SERVED_AT = 1_767_600_000_000L;

    @TempDir
    Path stateDir;

    private Counters counters;

    @BeforeEach
    void counters() {
        counters = new Counters();
    }

    private DrivenTopology labelJoin() {
        return new DrivenTopology(FeatureStoreTopology.buildLabelJoin(DrivenTopology.TOPICS, WAIT_MS, counters),
            stateDir);
    }

    private static PredictionLogEntry.Builder served(String requestId, String entity) {
        return PredictionLogEntry.newBuilder()
            .setRequestId(requestId)
            .setEntityId(entity)
            .putFeatures("amount", 12.5)
            .putFeatures("channel=web", 1.0)
            .setLabel("fraud")
            .setScore(0.8)
            .putClassProbabilities("fraud", 0.8)
            .putClassProbabilities("ok", 0.2)
            .setModel("payments-risk")
            .setModelVersion(7)
            .setServedAtMs(SERVED_AT);
    }

    private static String label(String requestId, String label) {
        return "{\"request_id\":\"" + requestId + "\",\"label\":\"" + label + "\"}";
    }

    @Test
    void joinsAPredictionAndItsLaterLabelIntoATrainingExampleWithTheFeaturesAsServed() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            assertThat(driven.trainingExamples()).isEmpty();
            driven.label("r1", label("r1", "ok"), SERVED_AT + 5_000);

            List<KeyValue<String, TrainingExample>> examples = driven.keyedTrainingExamples();
            assertThat(examples).extracting(kv -> kv.key).containsExactly("u1");
            TrainingExample example = examples.get(0).value;
            assertThat(example.getRequestId()).isEqualTo("r1");
            assertThat(example.getEntityId()).isEqualTo("u1");
            assertThat(example.getFeaturesMap()).containsOnly(entry("amount", 12.5), entry("channel=web", 1.0));
            assertThat(example.getLabel()).isEqualTo("ok");
            assertThat(example.getPredictedAtMs()).isEqualTo(SERVED_AT);
            assertThat(example.getLabelArrivedAtMs()).isEqualTo(SERVED_AT + 5_000);
            assertThat(example.getModel()).isEqualTo("payments-risk");
            assertThat(example.getModelVersion()).isEqualTo(7);
            assertThat(example.getPredictedLabel()).isEqualTo("fraud");
            assertThat(example.getClassProbabilitiesMap()).containsOnly(entry("fraud", 0.8), entry("ok", 0.2));
            assertThat(driven.deadLetters()).isEmpty();
            assertThat(counters.snapshot().trainingExamplesOut()).isEqualTo(1);
        }
    }

    @Test
    void joinsALabelThatArrivesBeforeItsPrediction() {
        try (DrivenTopology driven = labelJoin()) {
            driven.label("r1", label("r1", "ok"), SERVED_AT - 100);
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);

            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> {
                assertThat(example.getLabel()).isEqualTo("ok");
                assertThat(example.getLabelArrivedAtMs()).isEqualTo(SERVED_AT - 100);
                assertThat(example.getFeaturesMap()).containsEntry("amount", 12.5);
            });
            // Joined: nothing is left to expire.
            tick(driven, SERVED_AT + 2 * WAIT_MS);
            assertThat(driven.deadLetters()).isEmpty();
        }
    }

    @Test
    void deadLettersALabelWhoseClassOrRequestIdIsLongerThanTheLimitsAndJoinsTheNextOne() {
        try (DrivenTopology driven = labelJoin()) {
            String longClass = "x".repeat(1_025);
            String longId = "r".repeat(257);
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            driven.label("r1", label("r1", longClass), SERVED_AT + 1);
            driven.label(longId, label(longId, "ok"), SERVED_AT + 2);
            driven.label("r1", label("r1", "ok"), SERVED_AT + 3);

            assertThat(driven.deadLetters()).extracting(DeadLetter::getReason, DeadLetter::getField).containsExactly(
                tuple(DeadLetter.Reason.VALUE_TOO_LONG, "label"), tuple(DeadLetter.Reason.VALUE_TOO_LONG, "request_id"));
            assertThat(driven.trainingExamples()).extracting(TrainingExample::getLabel).containsExactly("ok");
        }
    }

    @Test
    void aPredictionLoggedTwiceYieldsOneExampleWithTheLastLoggedFeatures() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            driven.prediction("r1", served("r1", "u1").putFeatures("amount", 99.0).build().toByteArray(),
                SERVED_AT + 1);
            driven.label("r1", label("r1", "ok"), SERVED_AT + 2);
            driven.label("r1", label("r1", "fraud"), SERVED_AT + 3);

            assertThat(driven.trainingExamples()).singleElement()
                .satisfies(example -> assertThat(example.getFeaturesMap()).containsEntry("amount", 99.0));
        }
    }

    @Test
    void aShadowScoreAnsweredNobodyAndMakesNoExample() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").setModelVersion(8).setShadow(true).build().toByteArray(),
                SERVED_AT);
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            driven.label("r1", label("r1", "ok"), SERVED_AT + 1);

            assertThat(driven.trainingExamples()).extracting(TrainingExample::getModelVersion).containsExactly(7L);
        }
    }

    @Test
    void keepsALabelForTheWholeWaitThenDeadLettersItAsUnmatched() {
        try (DrivenTopology driven = labelJoin()) {
            String raw = label("r1", "ok");
            driven.label("r1", raw, SERVED_AT);
            tick(driven, SERVED_AT + WAIT_MS - 1);
            assertThat(driven.deadLetters()).isEmpty();

            // The expiry runs every tenth of the wait of join time, so an entry lives at most that much longer.
            tick(driven, SERVED_AT + WAIT_MS + WAIT_MS / 10);
            List<KeyValue<String, DeadLetter>> deadLetters = driven.keyedDeadLetters();
            assertThat(deadLetters).extracting(kv -> kv.key).containsExactly("r1");
            DeadLetter deadLetter = deadLetters.get(0).value;
            assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.UNMATCHED_LABEL);
            assertThat(deadLetter.getField()).isEqualTo("request_id");
            assertThat(deadLetter.getDetail()).isEqualTo("no prediction with request_id 'r1' arrived within 60000 ms "
                + "(featurestore.label.wait.ms); check that serving logs predictions with this request id");
            assertThat(deadLetter.getSourceTopic()).isEqualTo(DrivenTopology.TOPICS.name(Topic.LABELS));
            assertThat(deadLetter.getSourceOffset()).isZero();
            assertThat(deadLetter.getRawValue().toStringUtf8()).isEqualTo(raw);
            // When it was dead-lettered is still told on the wall clock, which no test here moves.
            assertThat(deadLetter.getDeadLetteredAtMs()).isEqualTo(DrivenTopology.WALL_CLOCK_START.toEpochMilli());

            // Gone from the join: a prediction now waits alone.
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            assertThat(driven.trainingExamples()).isEmpty();
            assertThat(counters.snapshot().deadLettered()).containsEntry("UNMATCHED_LABEL", 1L);
        }
    }

    @Test
    void aLabelLaterThanTheWaitFindsNoPredictionAndIsDeadLettered() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            driven.label("r1", label("r1", "ok"), SERVED_AT + WAIT_MS + WAIT_MS / 10);
            FeatureStoreStats stats = counters.snapshot();
            assertThat(stats.predictionsExpiredUnlabelled()).isEqualTo(1);

            tick(driven, SERVED_AT + 2 * (WAIT_MS + WAIT_MS / 10));

            assertThat(driven.trainingExamples()).isEmpty();
            assertThat(driven.deadLetters()).extracting(DeadLetter::getReason)
                .containsExactly(DeadLetter.Reason.UNMATCHED_LABEL);
        }
    }

    @Test
    void aWallClockOutageLongerThanTheWaitExpiresNothing() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            // The feature store was down for ten label waits; the label was written 5 s after the prediction.
            driven.advanceWallClock(Duration.ofMillis(10 * WAIT_MS));
            driven.label("r1", label("r1", "ok"), SERVED_AT + 5_000);

            assertThat(driven.trainingExamples()).extracting(TrainingExample::getRequestId).containsExactly("r1");
            assertThat(driven.deadLetters()).isEmpty();
            assertThat(counters.snapshot().predictionsExpiredUnlabelled()).isZero();
        }
    }

    @Test
    void aRecordTimestampFarAheadOfTheWallClockDoesNotExpireWhatWaits() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            long century = 100L * 365 * 24 * 3_600_000;
            driven.label("r2", label("r2", "ok"), DrivenTopology.WALL_CLOCK_START.toEpochMilli() + century);
            driven.label("r1", label("r1", "ok"), SERVED_AT + 1_000);

            assertThat(driven.trainingExamples()).extracting(TrainingExample::getRequestId).containsExactly("r1");
            assertThat(driven.deadLetters()).isEmpty();
            assertThat(counters.snapshot().predictionsExpiredUnlabelled()).isZero();
        }
    }

    @Test
    void aRecordWithinTheMaxFutureMovesTheJoinTime() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            // An hour ahead of the driver's wall clock: credible under the default day, so it moves the join time.
            tick(driven, DrivenTopology.WALL_CLOCK_START.toEpochMilli() + 3_600_000);

            assertThat(counters.snapshot().predictionsExpiredUnlabelled()).isEqualTo(1);
        }
    }

    /** Moves the join time to {@code atMs} with a prediction no label will ever follow. */
    private static void tick(DrivenTopology driven, long atMs) {
        driven.prediction("tick-" + atMs, served("tick-" + atMs, "u-tick").build().toByteArray(), atMs);
    }

    static Stream<Arguments> malformedLabels() {
        return Stream.of(
            Arguments.of("r1", "{\"request_id\":", "", "the value is not valid JSON"),
            Arguments.of("r1", "[\"r1\",\"ok\"]", "", "the value is not a JSON object"),
            Arguments.of("r1", "{\"label\":\"ok\"}", "request_id", "'request_id' is missing"),
            Arguments.of("r1", "{\"request_id\":7,\"label\":\"ok\"}", "request_id", "'request_id' is missing or"),
            Arguments.of("r1", "{\"request_id\":\"r1\",\"label\":\"\"}", "label", "'label' is an empty string"),
            Arguments.of("r1", "{\"request_id\":\"r1\",\"label\":{\"class\":\"ok\"}}", "label",
                "'label' is an object ({\"class\":\"ok\"}), not a value"),
            Arguments.of("r1", "{\"request_id\":\"r1\",\"label\":null}", "label", "'label' is null"),
            Arguments.of("r1", "{\"request_id\":\"r1\",\"label\":[1,2]}", "label",
                "'label' is an array ([1,2]); send one value per label record"),
            Arguments.of("r1", "{\"request_id\":\"r1\",\"label\":1e400}", "label",
                "'label' is the number Infinity, which is not finite"),
            Arguments.of("r1", "{\"request_id\":\"r1\"}", "label", "'label' is missing"),
            Arguments.of("r2", "{\"request_id\":\"r1\",\"label\":\"ok\"}", "request_id",
                "the record key 'r2' differs from request_id 'r1'"),
            Arguments.of(null, "{\"entity_id\":\"\",\"event_time\":5,\"label\":\"ok\"}", "entity_id",
                "'entity_id' is not a non-empty string"),
            Arguments.of(null, "{\"entity_id\":\"u1\",\"event_time\":\"noon\",\"label\":\"ok\"}", "event_time",
                "'event_time' is not epoch milliseconds"),
            Arguments.of(null, "{\"entity_id\":\"u1\",\"event_time\":5}", "label", "'label' is missing"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("malformedLabels")
    void deadLettersAMalformedLabelAtOnceNamingTheFieldAndTheExpectedShape(String key, String value, String field,
            String what) {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            driven.label(key, value, SERVED_AT + 1);

            assertThat(driven.trainingExamples()).isEmpty();
            List<KeyValue<String, DeadLetter>> deadLetters = driven.keyedDeadLetters();
            assertThat(deadLetters).extracting(kv -> kv.key).containsExactly(key);
            DeadLetter deadLetter = deadLetters.get(0).value;
            assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.MALFORMED_LABEL);
            assertThat(deadLetter.getField()).isEqualTo(field);
            assertThat(deadLetter.getDetail()).startsWith(what)
                .contains("expected {\"request_id\": \"<id>\", \"label\": <label>} keyed by the request id")
                .endsWith("the label a non-empty string, a finite number or a boolean");
            assertThat(deadLetter.getSourceTopic()).isEqualTo(DrivenTopology.TOPICS.name(Topic.LABELS));
            assertThat(deadLetter.getRawValue().toStringUtf8()).isEqualTo(value);
            assertThat(counters.snapshot().labelsIn()).isEqualTo(1);
            assertThat(counters.snapshot().labelsLeftOut()).isEqualTo(Map.of("MALFORMED_LABEL", 1L));
        }
    }

    static Stream<Arguments> numericLabels() {
        return Stream.of(
            Arguments.of("15.732", "15.732"),
            Arguments.of("-0.1", "-0.1"),
            Arguments.of("3", "3"),
            Arguments.of("3.0", "3"),
            Arguments.of("2.5e-7", "2.5E-7"),
            Arguments.of("0.30000000000000004", "0.30000000000000004"),
            Arguments.of("12345678901234567890", "12345678901234567890"),
            Arguments.of("true", "true"));
    }

    /** Regression targets from a replayed file arrive as JSON numbers; each must reach the trainer exactly. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("numericLabels")
    void aNumberOrBooleanLabelJoinsAsItsCanonicalText(String json, String text) {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", served("r1", "u1").build().toByteArray(), SERVED_AT);
            driven.label("r1", "{\"request_id\":\"r1\",\"label\":" + json + "}", SERVED_AT + 1);

            assertThat(driven.deadLetters()).isEmpty();
            assertThat(driven.trainingExamples()).singleElement().satisfies(example -> {
                assertThat(example.getLabel()).isEqualTo(text);
                if (!json.equals("true")) {
                    assertThat(Double.parseDouble(example.getLabel())).isEqualTo(Double.parseDouble(json));
                }
            });
        }
    }

    @Test
    void deadLettersAPredictionThatIsNotAPredictionLogEntryOrHasNoRequestId() {
        try (DrivenTopology driven = labelJoin()) {
            driven.prediction("r1", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, SERVED_AT);
            driven.prediction(null, served("", "u1").build().toByteArray(), SERVED_AT);

            List<DeadLetter> deadLetters = driven.deadLetters();
            assertThat(deadLetters).extracting(DeadLetter::getReason).containsOnly(
                DeadLetter.Reason.MALFORMED_PREDICTION);
            assertThat(deadLetters).extracting(DeadLetter::getField).containsExactly("request_id", "request_id");
            assertThat(deadLetters).extracting(DeadLetter::getDetail).containsExactly(
                "the value is not a PredictionLogEntry; expected the serving prediction log's protobuf",
                "the prediction has no request_id and no key; expected the request id");
            assertThat(deadLetters).extracting(DeadLetter::getSourceTopic)
                .containsOnly(DrivenTopology.TOPICS.name(Topic.PREDICTIONS));
        }
    }

    @Test
    void aLabelByEntityAndEventTimeIsDeadLetteredWhenNoFeatureHistoryIsKept() {
        try (DrivenTopology driven = labelJoin()) {
            driven.label("u1", "{\"entity_id\":\"u1\",\"event_time\":5,\"label\":\"ok\"}", SERVED_AT);

            assertThat(driven.deadLetters()).singleElement().satisfies(deadLetter -> {
                assertThat(deadLetter.getReason()).isEqualTo(DeadLetter.Reason.UNMATCHED_LABEL);
                assertThat(deadLetter.getField()).isEqualTo("event_time");
                assertThat(deadLetter.getDetail()).contains("set featurestore.feature.history.ms");
            });
            assertThat(counters.snapshot().deadLettered()).isEqualTo(Map.of("UNMATCHED_LABEL", 1L));
            assertThat(counters.snapshot().labelsLeftOut()).isEqualTo(Map.of("UNMATCHED_LABEL", 1L));
        }
    }
}
