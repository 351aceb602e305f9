package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureView.Aggregation;
import dev.freshet.featurestore.FeatureView.Field;
import dev.freshet.featurestore.FeatureView.FieldType;
import dev.freshet.featurestore.FeatureView.Function;
import dev.freshet.featurestore.InvalidFeatureViewException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeatureViewParserTest {

    private static final String VALID_HEAD = """
        name: transactions
        entity: entity_id
        event_time: event_time
        """;

    @Test
    void parsesTheExampleView() {
        FeatureView view = Views.transactions();

        assertThat(view.name()).isEqualTo("transactions");
        assertThat(view.version()).isEqualTo(1);
        assertThat(view.entityPath()).isEqualTo("entity_id");
        assertThat(view.eventTimePath()).isEqualTo("event_time");
        assertThat(view.grace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(view.fields()).containsExactly(
            new Field("amount", "amount", FieldType.NUMBER, true),
            new Field("velocity", "velocity", FieldType.NUMBER, true),
            new Field("channel", "channel", FieldType.STRING, true),
            new Field("is_new_device", "is_new_device", FieldType.BOOLEAN, true));
        assertThat(view.aggregations()).containsExactly(
            new Aggregation("amount_mean_10m", Function.MEAN, "amount", Duration.ofMinutes(10)),
            new Aggregation("amount_max_10m", Function.MAX, "amount", Duration.ofMinutes(10)),
            new Aggregation("events_10m", Function.COUNT, null, Duration.ofMinutes(10)));
        assertThat(view.longestWindow()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void acceptsOptionalAndNestedFieldsAndDefaultsVersionAndGrace() {
        FeatureView view = FeatureViewParser.parse(VALID_HEAD + """
            fields:
              - {name: score, path: risk.score, type: number, optional: true}
            aggregations:
              - {name: score_sum_1h, function: sum, field: score, window: 1h}
            """, null);

        assertThat(view.version()).isEqualTo(1);
        assertThat(view.grace()).isZero();
        assertThat(view.fields()).containsExactly(new Field("score", "risk.score", FieldType.NUMBER, true));
    }

    @Test
    void refusesABadDurationWithThePathAndAHint() {
        assertThat(problemOf(VALID_HEAD + """
            fields: [{name: amount, type: number}]
            aggregations:
              - {name: a, function: sum, field: amount, window: 10m}
              - {name: b, function: sum, field: amount, window: 10x}
            """)).isEqualTo("aggregations[1].window: '10x' is not a duration; use a whole number and a unit, e.g. "
                + "500ms, 30s, 10m, 1h, 1d");
    }

    @Test
    void refusesABadGrace() {
        assertThat(problemOf(VALID_HEAD + "grace: soon\n"))
            .isEqualTo("grace: 'soon' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, "
                + "1d");
    }

    @Test
    void refusesAnUnknownKey() {
        assertThat(problemOf(VALID_HEAD + "fields: [{name: amount, type: number, nullable: true}]\n"))
            .startsWith("fields[0].nullable: unknown field; expected one of [name, optional, path, role, type]");
    }

    @Test
    void refusesAnUnknownFieldNamingTheNearestOne() {
        assertThat(problemOf(VALID_HEAD + """
            fields: [{name: amount, type: number}]
            aggregations: [{name: a, function: sum, field: amount, window: 10m, fucntion: sum}]
            """))
            .isEqualTo("aggregations[0].fucntion: unknown field; expected one of [field, function, name, window]; "
                + "did you mean 'function'?");
    }

    @Test
    void acceptsDaysInEveryDuration() {
        FeatureView view = FeatureViewParser.parse(VALID_HEAD + """
            grace: 1d
            fields: [{name: amount, type: number}]
            aggregations:
              - {name: a, function: sum, field: amount, window: 1d}
              - {name: b, function: sum, field: amount, window: {type: hopping, size: 7d, advance: 1d, grace: 1d}}
              - {name: c, function: count, window: {type: session, gap: 1d}}
            """, null);

        assertThat(view.grace()).isEqualTo(Duration.ofDays(1));
        assertThat(view.aggregations()).extracting(Aggregation::window)
            .containsExactly(Duration.ofDays(1), Duration.ofDays(7), Duration.ofDays(1));
        assertThat(view.aggregations().get(1).advance()).isEqualTo(Duration.ofDays(1));
    }

    @Test
    void refusesADurationLongerThanTenYears() {
        assertThat(problemOf(VALID_HEAD + "aggregations: [{name: a, function: count, window: 4000d}]\n"))
            .isEqualTo("aggregations[0].window: '4000d' is longer than 3650d (ten years), the longest duration "
                + "accepted");
    }

    @Test
    void listsEveryProblemOfEverySectionAtOnce() {
        assertThatThrownBy(() -> FeatureViewParser.parse(VALID_HEAD + """
                grace: soon
                colour: red
                fields: [{name: amount, type: float}]
                aggregations: [{name: a, function: sum, field: amount, window: 10x}]
                transforms: [{name: t, function: log, field: amount, bukets: 3}]
                label: {nmae: last}
                """, "v.yaml"))
            .isInstanceOfSatisfying(InvalidFeatureViewException.class, e -> assertThat(e.problems()).containsExactly(
                "colour: unknown field; expected one of [aggregations, description, entity, event_time, fields, "
                    + "grace, label, name, request_id, transforms, version]",
                "grace: 'soon' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d",
                "fields[0].type: 'float' is not one of number, string, boolean",
                "aggregations[0].field: 'amount' is not a declared field; declare it under fields with type number",
                "aggregations[0].window: '10x' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, "
                    + "10m, 1h, 1d",
                "transforms[0].bukets: unknown field; expected one of [boundaries, buckets, field, function, max, "
                    + "min, name, offset, vocabulary]; did you mean 'buckets'?",
                "transforms[0].field: 'amount' is not a declared field; declare it under fields with type number",
                "label.nmae: unknown field; expected one of [name]; did you mean 'name'?",
                "label.name: missing; every entry needs a name"))
            .hasMessageStartingWith("Feature view v.yaml is invalid: 9 problems: colour: unknown field");
    }

    @Test
    void refusesAnUnknownTopLevelKey() {
        assertThat(problemOf(VALID_HEAD + "windows: []\n")).startsWith("windows: unknown field");
    }

    @Test
    void refusesAMissingName() {
        assertThat(problemOf("entity: entity_id\nevent_time: event_time\n"))
            .isEqualTo("name: missing; every view needs a name");
    }

    @Test
    void refusesAMissingEntity() {
        assertThat(problemOf("name: v\nevent_time: event_time\n"))
            .isEqualTo("entity: missing; give the dot-separated path of the field in each event");
    }

    @Test
    void refusesAMissingEventTime() {
        assertThat(problemOf("name: v\nentity: entity_id\n"))
            .isEqualTo("event_time: missing; give the dot-separated path of the field in each event");
    }

    @Test
    void refusesABadType() {
        assertThat(problemOf(VALID_HEAD + "fields: [{name: amount, type: float}]\n"))
            .isEqualTo("fields[0].type: 'float' is not one of number, string, boolean");
    }

    @Test
    void refusesABadFunction() {
        assertThat(problemOf(VALID_HEAD + """
            fields: [{name: amount, type: number}]
            aggregations: [{name: a, function: median, field: amount, window: 1m}]
            """)).isEqualTo("aggregations[0].function: 'median' is not one of count, sum, mean, min, max, stddev, last, "
            + "distinct_count, time_since_last");
    }

    @Test
    void refusesAnAggregationOverANonNumericField() {
        assertThat(problemOf(VALID_HEAD + """
            fields: [{name: channel, type: string}]
            aggregations: [{name: a, function: max, field: channel, window: 1m}]
            """)).isEqualTo("aggregations[0].field: 'channel' is a string field; aggregations need a number field");
    }

    @Test
    void refusesAnAggregationOverAnUndeclaredField() {
        assertThat(problemOf(VALID_HEAD + """
            aggregations: [{name: a, function: sum, field: amount, window: 1m}]
            """)).isEqualTo(
                "aggregations[0].field: 'amount' is not a declared field; declare it under fields with type number");
    }

    @Test
    void refusesASumWithoutAField() {
        assertThat(problemOf(VALID_HEAD + "aggregations: [{name: a, function: sum, window: 1m}]\n"))
            .isEqualTo("aggregations[0].field: missing; sum needs a declared number field");
    }

    @Test
    void refusesDuplicateFeatureNames() {
        assertThat(problemOf(VALID_HEAD + """
            fields: [{name: amount, type: number}]
            aggregations: [{name: amount, function: count, window: 1m}]
            """)).isEqualTo("aggregations[0].name: duplicate feature name 'amount'");
    }

    @Test
    void refusesAZeroWindow() {
        assertThat(problemOf(VALID_HEAD + "aggregations: [{name: a, function: count, window: 0s}]\n"))
            .isEqualTo("aggregations[0].window: '0s' is empty; a window must be longer than zero");
    }

    @Test
    void refusesTextThatIsNotYaml() {
        assertThat(problemOf("name: [unclosed")).startsWith("(document): not valid YAML");
    }

    @Test
    void listsEveryProblemAndNamesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "name: v\nfields: [{name: a, type: text}]\n");

        assertThatThrownBy(() -> FeatureViewParser.parse(file))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessage("Feature view " + file + " is invalid: 3 problems: "
                + "entity: missing; give the dot-separated path of the field in each event; "
                + "event_time: missing; give the dot-separated path of the field in each event; "
                + "fields[0].type: 'text' is not one of number, string, boolean");
    }

    private static String problemOf(String yaml) {
        try {
            FeatureViewParser.parse(yaml, null);
        } catch (InvalidFeatureViewException e) {
            assertThat(e.problems()).hasSize(1);
            assertThat(e.getMessage()).isEqualTo(e.problems().get(0));
            return e.problems().get(0);
        }
        throw new AssertionError("The view was accepted:\n" + yaml);
    }
}
