package dev.freshet.featurestore.internal.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse.Change;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import dev.freshet.proto.features.v1.FeatureViewRecord.State;
import org.junit.jupiter.api.Test;

class RegistrationTest {
    private static final String CARDS = """
        name: cards
        entity: entity_id
        event_time: event_time
        fields: [{name: amount, type: number}]
        aggregations: [{name: amount_sum_1h, function: sum, field: amount, window: 1h}]
        """;
    /** Over the windows-per-event bound, as an older Freshet registered it. */
    private static final String COSTLY = """
        name: cards
        entity: entity_id
        event_time: event_time
        fields: [{name: amount, type: number}]
        aggregations:
          - {name: amount_sum_1h, function: sum, field: amount, window: {type: hopping, size: 1h, advance: 1ms}}
        """;
    private final Map<String, FeatureViewRecord> registry = new HashMap<>();

    @Test
    void aNewViewIsActiveAtVersionOne() {
        FeatureViewRecord record = applyOne(CARDS);

        assertThat(record.getVersion()).isEqualTo(1);
        assertThat(record.getState()).isEqualTo(State.ACTIVE);
        assertThat(record.getAppliedBy()).isEqualTo("alice");
        assertThat(record.getAppliedAtMs()).isEqualTo(42L);
        assertThat(record.hasServing()).isFalse();
    }

    @Test
    void theSameDefinitionIsUnchangedWhateverItsFormattingCommentsOrVersionKey() {
        applyOne(CARDS);

        Registration.Plan plan = Registration.plan("# reformatted\nversion: 7\n" + CARDS.replace(
            "fields: [{name: amount, type: number}]", "fields:\n  - name: amount\n    type: number"), "f", registry,
            "bob", 43L);

        assertThat(plan.toPublish()).isEmpty();
        assertThat(plan.response().getViews(0).getChange()).isEqualTo(Change.UNCHANGED);
        assertThat(plan.response().getViews(0).getVersion()).isEqualTo(1);
    }

    @Test
    void aChangedViewBackfillsAsTheNextVersionWhileTheActiveOneServes() {
        applyOne(CARDS);

        FeatureViewRecord next = applyOne(CARDS.replace("window: 1h", "window: 2h"));

        assertThat(next.getVersion()).isEqualTo(2);
        assertThat(next.getState()).isEqualTo(State.BACKFILLING);
        assertThat(next.getServing().getVersion()).isEqualTo(1);
        assertThat(next.getServing().getState()).isEqualTo(State.ACTIVE);
        assertThat(Registration.viewOf(next).version()).isEqualTo(2);
        assertThat(Registration.promoted(next).getState()).isEqualTo(State.ACTIVE);
        assertThat(Registration.promoted(next).hasServing()).isFalse();
    }

    @Test
    void aChangeDuringABackfillReplacesItAndKeepsTheServingVersion() {
        applyOne(CARDS);
        applyOne(CARDS.replace("window: 1h", "window: 2h"));

        FeatureViewRecord third = applyOne(CARDS.replace("window: 1h", "window: 3h"));

        assertThat(third.getVersion()).isEqualTo(3);
        assertThat(third.getState()).isEqualTo(State.BACKFILLING);
        assertThat(third.getServing().getVersion()).isEqualTo(1);
    }

    @Test
    void aFileClashingWithARegisteredViewPublishesNothing() {
        applyOne(CARDS);

        assertThatThrownBy(() -> Registration.plan("views:\n  - " + CARDS.replace("name: cards", "name: other")
                .replace("\n", "\n    ").replace("amount_sum_1h", "amount_sum_2h").stripTrailing() + "\n", "f.yaml",
                registry, "bob", 1L))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessageContaining(
                "views[0].fields[0].name: feature 'amount' is also defined by registered view 'cards'");
    }

    @Test
    void aCorrectionOfARegisteredViewOverACostBoundIsActiveAtOnce() {
        registry.put("cards", FeatureViewRecord.newBuilder().setName("cards").setVersion(1).setState(State.ACTIVE)
            .setDefinitionYaml(COSTLY).build());
        registry.put("other", FeatureViewRecord.newBuilder().setName("other").setVersion(1).setState(State.ACTIVE)
            .setDefinitionYaml(COSTLY.replace("cards", "other")).build());

        FeatureViewRecord corrected = applyOne(CARDS);

        assertThat(corrected.getVersion()).isEqualTo(2);
        assertThat(corrected.getState()).isEqualTo(State.ACTIVE);
        assertThat(corrected.hasServing()).isFalse();
    }

    @Test
    void reapplyingACostlyRegisteredDefinitionIsRefusedRatherThanUnchanged() {
        registry.put("cards", FeatureViewRecord.newBuilder().setName("cards").setVersion(1).setState(State.ACTIVE)
            .setDefinitionYaml(COSTLY).build());

        assertThatThrownBy(() -> applyOne(COSTLY))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessageContaining("aggregations[0].window.advance: 1h / 1ms = 3,600,000 windows per event");
    }

    private FeatureViewRecord applyOne(String yaml) {
        Registration.Plan plan = Registration.plan(yaml, "cards.yaml", registry, "alice", 42L);
        plan.toPublish().forEach(r -> registry.put(r.getName(), r));
        return registry.get("cards");
    }
}
