package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import dev.freshet.featurestore.FeatureView;
import dev.freshet.featurestore.FeatureViewRegistry;
import dev.freshet.featurestore.InvalidFeatureViewException;
import org.junit.jupiter.api.Test;

/** The cost bounds a view must keep to be registered: windows per event, windows kept per entity, declared values. */
class ViewCostTest {
    private static final String HEAD = """
        name: costly
        entity: entity_id
        event_time: event_time
        fields:
          - {name: amount, type: number}
          - {name: channel, type: string}
        """;

    @Test
    void refusesAHoppingWindowUpdatingMillionsOfWindowsPerEvent() {
        assertThat(problemOf("aggregations: [{name: a, function: sum, field: amount, "
                + "window: {type: hopping, size: 1h, advance: 1ms}}]"))
            .isEqualTo("aggregations[0].window.advance: 1h / 1ms = 3,600,000 windows per event; at most 1,000 are "
                + "allowed; use an advance of at least 3600ms, or a trailing window of 1h");
    }

    @Test
    void acceptsAHoppingWindowAtTheLimit() {
        FeatureView view = FeatureViewParser.parse(HEAD + "aggregations: [{name: a, function: count, "
            + "window: {type: hopping, size: 1000s, advance: 1s}}]\n", null);

        assertThat(ViewCost.windowsPerEvent(view.aggregations().get(0))).isEqualTo(ViewCost.MAX_WINDOWS_PER_EVENT);
    }

    @Test
    void refusesATumblingWindowWhoseGraceKeepsTooManyWindowsPerEntity() {
        assertThat(problemOf("aggregations: [{name: a, function: count, "
                + "window: {type: tumbling, size: 1s, grace: 2h}}]"))
            .isEqualTo("aggregations[0].window.grace: (2 * 1s + grace 2h) / 1s = 7,203 windows kept per entity; at "
                + "most 4,000 are allowed per view; use a longer window or a shorter grace");
    }

    @Test
    void refusesSessionsThatTheViewGraceKeepsByTheThousand() {
        assertThat(problemOf("grace: 1d\naggregations: [{name: a, function: count, "
                + "window: {type: session, gap: 1s}}]"))
            .isEqualTo("grace: (2 * 1s + grace 1d) / 1s = 86,403 sessions kept per entity; at most 4,000 are allowed "
                + "per view; use a longer gap or a shorter grace");
    }

    @Test
    void refusesAggregationsThatTogetherKeepTooManyWindows() {
        String each = "window: {type: hopping, size: 1000s, advance: 1s}}";
        assertThat(problemOf("aggregations:\n"
                + "  - {name: a, function: count, " + each + "\n"
                + "  - {name: b, function: sum, field: amount, " + each + "\n"))
            .isEqualTo("aggregations: the windowed aggregations keep 4,002 windows and sessions per entity together "
                + "(a 2,001, b 2,001); at most 4,000 are allowed per view; split the view or use longer advances");
    }

    @Test
    void refusesAVocabularyOfMoreValuesThanTheModelShouldLearn() {
        String vocabulary = IntStream.range(0, ViewCost.MAX_DECLARED_VALUES + 1).mapToObj(i -> "v" + i)
            .collect(Collectors.joining(", ", "[", "]"));

        assertThat(problemOf("transforms: [{name: t, function: one_hot, field: channel, vocabulary: " + vocabulary
                + "}]"))
            .isEqualTo("transforms[0].vocabulary: 10,001 values; at most 10,000 are allowed, each being a feature of "
                + "the model; use function: hash for a large or open set");
    }

    @Test
    void everyEntryPointRefusesTheCostWithTheViewsPath() {
        String yaml = """
            views:
              - name: fine
                entity: entity_id
                event_time: event_time
                aggregations: [{name: n, function: count, window: 1h}]
              - name: costly
                entity: entity_id
                event_time: event_time
                aggregations:
                  - {name: n2, function: count, window: 1h}
                  - {name: n3, function: count, window: {type: hopping, size: 1h, advance: 1ms}}
            """;

        assertThatThrownBy(() -> FeatureViewRegistry.validate(yaml, "views.yaml"))
            .isInstanceOfSatisfying(InvalidFeatureViewException.class, e -> assertThat(e.problems())
                .containsExactly("views[1].aggregations[1].window.advance: 1h / 1ms = 3,600,000 windows per event; "
                    + "at most 1,000 are allowed; use an advance of at least 3600ms, or a trailing window of 1h"));
    }

    private static String problemOf(String yaml) {
        try {
            FeatureViewParser.parse(HEAD + yaml + "\n", null);
        } catch (InvalidFeatureViewException e) {
            List<String> problems = e.problems();
            assertThat(problems).as("problems").hasSize(1);
            return problems.get(0);
        }
        throw new AssertionError("The view was accepted:\n" + yaml);
    }
}
