package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.featurestore.FeatureView;
import org.junit.jupiter.api.Test;

/** The entity's most recent label as a feature, and that it never shows the label of the example being predicted. */
class LabelFeatureTest {
    private static final long T0 = 1_764_000_000_000L;
    private static final String HEAD = """
        name: labelled
        entity: entity_id
        event_time: event_time
        fields: [{name: amount, type: number}]
        label: {name: last_label}
        """;

    private final FeatureComputer exact = new FeatureComputer(FeatureViewParser.parse(HEAD
        + "request_id: event_id\n", null));
    private final FeatureComputer conservative = new FeatureComputer(FeatureViewParser.parse(HEAD, null));

    @Test
    void theLabelOfTheNewestEventDoesNotShowInItsOwnVector() {
        EntityState state = EntityState.empty();
        exact.apply(state, event("e-1", T0));

        boolean changed = exact.applyLabel(state, "e-1", "1");

        assertThat(changed).isFalse();
        assertThat(labelsIn(exact.features(state))).isEmpty();
    }

    @Test
    void theNextEventShowsThePreviousExamplesLabel() {
        EntityState state = EntityState.empty();
        exact.apply(state, event("e-1", T0));
        exact.applyLabel(state, "e-1", "1");

        exact.apply(state, event("e-2", T0 + 1_000));

        assertThat(labelsIn(exact.features(state))).containsExactly("last_label=1");
    }

    @Test
    void aLabelArrivingAfterLaterEventsShowsAtOnceWhenItsEventTimeIsKnown() {
        EntityState state = EntityState.empty();
        exact.apply(state, event("e-1", T0));
        exact.apply(state, event("e-2", T0 + 1_000));

        boolean changed = exact.applyLabel(state, "e-1", "0");

        assertThat(changed).isTrue();
        assertThat(labelsIn(exact.features(state))).containsExactly("last_label=0");
    }

    @Test
    void anOlderExamplesLabelDoesNotReplaceANewerOne() {
        EntityState state = EntityState.empty();
        exact.apply(state, event("e-1", T0));
        exact.apply(state, event("e-2", T0 + 1_000));
        exact.apply(state, event("e-3", T0 + 2_000));
        exact.applyLabel(state, "e-2", "1");

        boolean changed = exact.applyLabel(state, "e-1", "0");

        assertThat(changed).isFalse();
        assertThat(labelsIn(exact.features(state))).containsExactly("last_label=1");
    }

    @Test
    void withoutRequestIdsALabelIsPlacedAtTheNewestEventAndShowsFromTheNextOne() {
        EntityState state = EntityState.empty();
        conservative.apply(state, event("e-1", T0));
        conservative.apply(state, event("e-2", T0 + 1_000));
        conservative.applyLabel(state, "e-1", "1");
        assertThat(labelsIn(conservative.features(state))).isEmpty();

        conservative.apply(state, event("e-3", T0 + 2_000));

        assertThat(labelsIn(conservative.features(state))).containsExactly("last_label=1");
    }

    @Test
    void noVectorEverShowsTheLabelOfItsOwnOrALaterExample() {
        for (FeatureComputer computer : List.of(exact, conservative)) {
            Random random = new Random(3);
            EntityState state = EntityState.empty();
            // Each example's label names it, so a vector's label feature says which example it came from.
            List<String> unlabelled = new ArrayList<>();
            List<Long> times = new ArrayList<>();
            long clock = T0;
            for (int i = 0; i < 3_000; i++) {
                if (unlabelled.isEmpty() || random.nextBoolean()) {
                    clock += 1 + random.nextInt(2_000);
                    String id = "e-" + times.size();
                    times.add(clock);
                    computer.apply(state, event(id, clock));
                    unlabelled.add(id);
                } else {
                    // Labels arrive in any order, after their event.
                    String id = unlabelled.remove(random.nextInt(unlabelled.size()));
                    computer.applyLabel(state, id, id.substring(2));
                }
                state = EntityStateCodec.decode(EntityStateCodec.encode(state));

                List<String> shown = labelsIn(computer.features(state));
                assertThat(shown).hasSizeLessThanOrEqualTo(1);
                if (!shown.isEmpty()) {
                    int example = Integer.parseInt(shown.get(0).substring("last_label=".length()));
                    assertThat(times.get(example)).as("the shown example's event time")
                        .isLessThan(state.newestEventTimeMs());
                }
            }
        }
    }

    @Test
    void aViewWithoutALabelFeatureIgnoresLabels() {
        FeatureComputer computer = new FeatureComputer(Views.transactions());
        EntityState state = EntityState.empty();

        assertThat(computer.applyLabel(state, "e-1", "1")).isFalse();
    }

    private static List<String> labelsIn(Map<String, Double> features) {
        return features.keySet().stream().filter(k -> k.startsWith("last_label=")).toList();
    }

    private static Event event(String id, long timeMs) {
        return new Event("u-1", timeMs, Map.of("amount", 1.0), id);
    }
}
