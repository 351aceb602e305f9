package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.FeatureView.LabelFeature;
import dev.freshet.featurestore.FeatureView.Transform;
import dev.freshet.featurestore.FeatureView.TransformFunction;
import dev.freshet.featurestore.FeatureView.WindowType;
import dev.freshet.featurestore.InvalidFeatureViewException;
import org.junit.jupiter.api.Test;

/** Validation of transforms, the new aggregation functions, window types, the label feature and request_id. */
class FeatureKindsParserTest {
    private static final String HEAD = """
        name: kinds
        entity: entity_id
        event_time: event_time
        fields:
          - {name: amount, type: number}
          - {name: channel, type: string}
          - {name: memo, type: string, optional: true}
          - {name: is_new_device, type: boolean}
        """;

    @Test
    void parsesEveryTransformWindowTypeAndTheLabel() {
        FeatureView view = FeatureViewParser.parse(HEAD + """
            request_id: event_id
            transforms:
              - {name: amount_log, function: log, field: amount}
              - {name: amount_clip, function: clip, field: amount, min: 0, max: 500}
              - {name: amount_bucket, function: bucketize, field: amount, boundaries: [10, 100]}
              - {name: channel_oh, function: one_hot, field: channel, vocabulary: [web, app]}
              - {name: channel_hash, function: hash, field: channel, buckets: 8}
              - {name: memo_tokens, function: tokens, field: memo, buckets: 64}
            aggregations:
              - {name: amount_sd_10m, function: stddev, field: amount, window: 10m}
              - {name: channels_1h, function: distinct_count, field: channel, window: {type: tumbling, size: 1h}}
              - {name: amount_last_1h, function: last, field: amount,
                 window: {type: hopping, size: 1h, advance: 15m, grace: 2m}}
              - {name: gap, function: time_since_last}
            label: {name: last_label}
            """, null);

        assertThat(view.requestIdPath()).isEqualTo("event_id");
        assertThat(view.transforms()).extracting(Transform::function).containsExactly(TransformFunction.LOG,
            TransformFunction.CLIP, TransformFunction.BUCKETIZE, TransformFunction.ONE_HOT, TransformFunction.HASH,
            TransformFunction.TOKENS);
        assertThat(view.transforms().get(0).offset()).isEqualTo(1.0);
        assertThat(view.transforms().get(2).boundaries()).containsExactly(10.0, 100.0);
        assertThat(view.aggregations()).containsExactly(
            new Aggregation("amount_sd_10m", Function.STDDEV, "amount", Duration.ofMinutes(10)),
            new Aggregation("channels_1h", Function.DISTINCT_COUNT, "channel", Duration.ofHours(1),
                WindowType.TUMBLING, Duration.ofHours(1), null),
            new Aggregation("amount_last_1h", Function.LAST, "amount", Duration.ofHours(1), WindowType.HOPPING,
                Duration.ofMinutes(15), Duration.ofMinutes(2)),
            new Aggregation("gap", Function.TIME_SINCE_LAST, null, Duration.ZERO, WindowType.TRAILING,
                Duration.ZERO, null));
        assertThat(view.label()).isEqualTo(new LabelFeature("last_label"));
    }

    @Test
    void refusesATransformOfAFieldOfTheWrongType() {
        assertThat(problemOf("transforms: [{name: t, function: log, field: channel}]"))
            .isEqualTo("transforms[0].field: 'channel' is a string field; log needs a number field");
    }

    @Test
    void refusesATransformOfAnUndeclaredField() {
        assertThat(problemOf("transforms: [{name: t, function: tokens, field: body, buckets: 8}]"))
            .isEqualTo("transforms[0].field: 'body' is not a declared field; declare it under fields with type "
                + "string");
    }

    @Test
    void refusesATransformWithoutAField() {
        assertThat(problemOf("transforms: [{name: t, function: log}]"))
            .isEqualTo("transforms[0].field: missing; a transform reads one declared field");
    }

    @Test
    void refusesAnUnknownTransformFunction() {
        assertThat(problemOf("transforms: [{name: t, function: sqrt, field: amount}]"))
            .isEqualTo("transforms[0].function: 'sqrt' is not one of log, clip, bucketize, one_hot, hash, tokens");
    }

    @Test
    void refusesAParameterThatDoesNotApplyToTheTransform() {
        assertThat(problemOf("transforms: [{name: t, function: log, field: amount, buckets: 4}]"))
            .isEqualTo("transforms[0].buckets: does not apply to log; log takes offset");
    }

    @Test
    void refusesAClipWithoutBounds() {
        assertThat(problemOf("transforms: [{name: t, function: clip, field: amount}]"))
            .isEqualTo("transforms[0]: clip needs min, max or both");
    }

    @Test
    void refusesAClipWhoseMaxIsBelowItsMin() {
        assertThat(problemOf("transforms: [{name: t, function: clip, field: amount, min: 5, max: 1}]"))
            .isEqualTo("transforms[0].max: 1.0 is below min 5.0");
    }

    @Test
    void refusesBoundariesThatDoNotIncrease() {
        assertThat(problemOf("transforms: [{name: t, function: bucketize, field: amount, boundaries: [1, 5, 5]}]"))
            .isEqualTo("transforms[0].boundaries[2]: 5.0 is not above the boundary before it; boundaries must be "
                + "strictly increasing");
    }

    @Test
    void refusesAOneHotWithoutAVocabulary() {
        assertThat(problemOf("transforms: [{name: t, function: one_hot, field: channel}]"))
            .startsWith("transforms[0].vocabulary: missing or empty;");
    }

    @Test
    void refusesAVocabularyThatRepeatsAValue() {
        assertThat(problemOf("transforms: [{name: t, function: one_hot, field: channel, vocabulary: [a, b, a]}]"))
            .isEqualTo("transforms[0].vocabulary[2]: 'a' is listed twice");
    }

    @Test
    void refusesZeroHashBuckets() {
        assertThat(problemOf("transforms: [{name: t, function: hash, field: channel, buckets: 0}]"))
            .isEqualTo("transforms[0].buckets: 0 is not a whole number from 1 to 1048576");
    }

    @Test
    void refusesATransformNamedLikeAField() {
        assertThat(problemOf("transforms: [{name: amount, function: log, field: amount}]"))
            .isEqualTo("transforms[0].name: duplicate feature name 'amount'");
    }

    @Test
    void refusesAStddevOfAStringField() {
        assertThat(problemOf("aggregations: [{name: a, function: stddev, field: channel, window: 1m}]"))
            .isEqualTo("aggregations[0].field: 'channel' is a string field; aggregations need a number field");
    }

    @Test
    void refusesADistinctCountWithoutAField() {
        assertThat(problemOf("aggregations: [{name: a, function: distinct_count, window: 1m}]"))
            .isEqualTo("aggregations[0].field: missing; distinct_count needs a declared field");
    }

    @Test
    void refusesAWindowOnTimeSinceLast() {
        assertThat(problemOf("aggregations: [{name: a, function: time_since_last, window: 1m}]"))
            .startsWith("aggregations[0].window: does not apply to time_since_last");
    }

    @Test
    void refusesAFieldOnTimeSinceLast() {
        assertThat(problemOf("aggregations: [{name: a, function: time_since_last, field: amount}]"))
            .isEqualTo("aggregations[0].field: does not apply to time_since_last, which uses the event times only");
    }

    @Test
    void refusesAnUnknownWindowType() {
        assertThat(problemOf("aggregations: [{name: a, function: count, window: {type: rolling, size: 1m}}]"))
            .isEqualTo("aggregations[0].window.type: 'rolling' is not one of trailing, tumbling, hopping, session");
    }

    @Test
    void refusesAHoppingWindowWithoutAnAdvance() {
        assertThat(problemOf("aggregations: [{name: a, function: count, window: {type: hopping, size: 1h}}]"))
            .isEqualTo("aggregations[0].window.advance: missing; a hopping window needs an advance shorter than "
                + "its size");
    }

    @Test
    void refusesAnAdvanceLongerThanTheSize() {
        assertThat(problemOf(
            "aggregations: [{name: a, function: count, window: {type: hopping, size: 10m, advance: 1h}}]"))
            .isEqualTo("aggregations[0].window.advance: '1h' is longer than the size '10m'; events between windows "
                + "would be lost");
    }

    @Test
    void refusesAnAdvanceOnATumblingWindow() {
        assertThat(problemOf(
            "aggregations: [{name: a, function: count, window: {type: tumbling, size: 1h, advance: 1m}}]"))
            .isEqualTo("aggregations[0].window.advance: only a hopping window has an advance");
    }

    @Test
    void refusesAWindowWithoutASize() {
        assertThat(problemOf("aggregations: [{name: a, function: count, window: {type: tumbling}}]"))
            .isEqualTo("aggregations[0].window.size: missing; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
    }

    @Test
    void refusesABadWindowGrace() {
        assertThat(problemOf(
            "aggregations: [{name: a, function: count, window: {type: tumbling, size: 1h, grace: later}}]"))
            .isEqualTo("aggregations[0].window.grace: 'later' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
    }

    @Test
    void refusesASessionWindowWithASizeInsteadOfAGap() {
        assertThat(problemOf("aggregations: [{name: a, function: count, window: {type: session, gap: 5m, size: 5m}}]"))
            .isEqualTo("aggregations[0].window.size: does not apply to a session window; use gap");
    }

    @Test
    void refusesALabelFeatureNamedLikeAField() {
        assertThat(problemOf("label: {name: amount}")).isEqualTo("label.name: duplicate feature name 'amount'");
    }

    @Test
    void refusesALabelThatIsNotAMapping() {
        assertThat(problemOf("label: last_label"))
            .isEqualTo("label: expected a mapping such as {name: last_label}");
    }

    @Test
    void refusesABadRequestIdPath() {
        assertThat(problemOf("request_id: event..id"))
            .isEqualTo("request_id: 'event..id' is not a field path; use e.g. entity_id or user.id");
    }

    @Test
    void listsEveryProblemOfSeveralEntries() {
        try {
            FeatureViewParser.parse(HEAD + """
                transforms: [{name: t, function: log, field: channel}, {name: u, function: hash, field: channel}]
                label: {name: t}
                """, null);
        } catch (InvalidFeatureViewException e) {
            assertThat(e.problems()).containsExactly(
                "transforms[0].field: 'channel' is a string field; log needs a number field",
                "transforms[1].buckets: missing; give the number of hash buckets, e.g. 32",
                "label.name: duplicate feature name 't'");
            return;
        }
        throw new AssertionError("accepted");
    }

    private static String problemOf(String yaml) {
        try {
            FeatureViewParser.parse(HEAD + yaml + "\n", null);
        } catch (InvalidFeatureViewException e) {
            assertThat(e.problems()).as("problems").hasSize(1);
            return e.problems().get(0);
        }
        throw new AssertionError("The view was accepted:\n" + yaml);
    }
}
