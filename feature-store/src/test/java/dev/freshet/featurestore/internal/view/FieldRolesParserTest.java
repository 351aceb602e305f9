package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.InvalidFeatureViewException;
import org.junit.jupiter.api.Test;

/** A field's role (feature, or input only) and whether it may be absent, as a view file declares them. */
class FieldRolesParserTest {
    private static final String HEAD = """
        name: messages
        entity: user
        event_time: ts
        """;

    @Test
    void anInputOnlyFieldIsReadByItsTransformAndIsNoFeature() {
        FeatureView view = FeatureViewParser.parse(HEAD + """
            fields:
              - {name: text, type: string, role: input}
              - {name: channel, type: string}
            transforms:
              - {name: text_tokens, function: tokens, field: text, buckets: 64}
            """, null);

        assertThat(view.field("text").inputOnly()).isTrue();
        assertThat(view.field("channel").inputOnly()).isFalse();
        assertThat(view.featureNames()).containsExactly("channel", "text_tokens");
    }

    @Test
    void anInputOnlyFieldMayFeedAnAggregation() {
        FeatureView view = FeatureViewParser.parse(HEAD + """
            fields:
              - {name: amount, type: number, role: input}
            aggregations:
              - {name: amount_sum_1h, function: sum, field: amount, window: 1h}
            """, null);

        assertThat(view.featureNames()).containsExactly("amount_sum_1h");
    }

    @Test
    void refusesAnInputOnlyFieldThatNothingReadsNamingIt() {
        assertThatThrownBy(() -> FeatureViewParser.parse(HEAD + """
            fields:
              - {name: amount, type: number}
              - {name: text, type: string, role: input}
            """, null))
            .isInstanceOfSatisfying(InvalidFeatureViewException.class, e -> assertThat(e.problems()).containsExactly(
                "fields[1].role: 'text' is an input (role: input) but no transform or aggregation reads it; read it "
                    + "in one, or drop the role to make it a feature"));
    }

    @Test
    void refusesAnUnknownRole() {
        assertThatThrownBy(() -> FeatureViewParser.parse(HEAD + """
            fields:
              - {name: text, type: string, role: label}
            """, null))
            .isInstanceOfSatisfying(InvalidFeatureViewException.class, e -> assertThat(e.problems())
                .singleElement().asString().startsWith("fields[0].role: ").contains("feature", "input"));
    }

    @Test
    void aFieldMayBeAbsentUnlessDeclaredOptionalFalse() {
        FeatureView view = FeatureViewParser.parse(HEAD + """
            fields:
              - {name: temperature, type: number}
              - {name: station, type: string, optional: false}
            """, null);

        assertThat(view.field("temperature").optional()).isTrue();
        assertThat(view.field("station").optional()).isFalse();
    }
}
