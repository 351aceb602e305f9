package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import dev.freshet.featurestore.InvalidFeatureViewException;
import dev.freshet.featurestore.internal.view.FeatureViewParser.DeclaredView;
import org.junit.jupiter.api.Test;

class MultiViewParserTest {

    private static final String CARDS = """
          - name: cards
            entity: entity_id
            event_time: event_time
            fields: [{name: amount, type: number}]
            aggregations: [{name: amount_sum_1h, function: sum, field: amount, window: 1h}]
        """;
    private static final String MERCHANTS = """
          - name: merchants
            entity: merchant_id
            event_time: event_time
            fields: [{name: amount, type: number}]
            aggregations: [{name: events_1h, function: count, window: 1h}]
        """;

    @Test
    void readsAViewsList() {
        List<DeclaredView> views = FeatureViewParser.parseAll("views:\n" + CARDS + MERCHANTS, null);

        assertThat(views).extracting(v -> v.view().name()).containsExactly("cards", "merchants");
        assertThat(views).extracting(DeclaredView::path).containsExactly("views[0].", "views[1].");
        assertThat(FeatureViewParser.parse(views.get(1).yaml(), null)).isEqualTo(views.get(1).view());
    }

    @Test
    void readsSeveralYamlDocuments() {
        List<DeclaredView> views = FeatureViewParser.parseAll(
            "name: a\nentity: e\nevent_time: t\n---\nname: b\nentity: e\nevent_time: t\n", null);

        assertThat(views).extracting(v -> v.view().name()).containsExactly("a", "b");
    }

    @Test
    void keepsASingleViewFileValid() {
        List<DeclaredView> views = FeatureViewParser.parseAll(Views.transactionsYaml(), null);

        assertThat(views).hasSize(1);
        assertThat(views.get(0).view()).isEqualTo(Views.transactions());
        assertThat(views.get(0).path()).isEmpty();
    }

    @Test
    void refusesAProblemInOneViewWithItsPathAndReturnsNoView() {
        assertThat(problemsOf("views:\n" + CARDS + MERCHANTS.replace("window: 1h", "window: 1x")))
            .containsExactly("views[1].aggregations[0].window: '1x' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, 10m, 1h, 1d");
    }

    @Test
    void refusesADuplicateViewName() {
        assertThat(problemsOf("views:\n" + CARDS + CARDS.replace("entity_id", "other_id")))
            .containsExactly("views[1].name: duplicate view name 'cards' (also at views[0])");
    }

    @Test
    void refusesAFeatureNameSharedByTwoViewsOfTheSameEntity() {
        assertThat(problemsOf("views:\n" + CARDS + CARDS.replace("name: cards", "name: cards2")
                .replace("amount_sum_1h", "amount_sum_2h")))
            .containsExactly("views[1].fields[0].name: feature 'amount' is also defined by view 'cards' of the same "
                + "entity 'entity_id'; serving merges the features of an entity's views, so rename one");
    }

    @Test
    void acceptsAFeatureNameSharedByViewsOfDifferentEntities() {
        assertThat(FeatureViewParser.parseAll("views:\n" + CARDS + MERCHANTS, null)).hasSize(2);
    }

    @Test
    void refusesAFeatureNameThatARegisteredViewOfTheSameEntityHas() {
        List<DeclaredView> applied = FeatureViewParser.parseAll("views:\n" + CARDS, null);
        var registered = FeatureViewParser.parseAll("views:\n" + CARDS.replace("name: cards", "name: older")
            .replace("amount_sum_1h", "amount_sum_2h"), null);

        assertThat(FeatureViewParser.clashesWithRegistered(applied, List.of(registered.get(0).view())))
            .containsExactly("views[0].fields[0].name: feature 'amount' is also defined by registered view 'older' "
                + "of the same entity 'entity_id'; serving merges the features of an entity's views, so rename one");
        // A view replacing its own registered version does not clash with it.
        assertThat(FeatureViewParser.clashesWithRegistered(applied, List.of(applied.get(0).view()))).isEmpty();
    }

    @Test
    void refusesAWrongTypeInTheSecondDocumentWithItsPath() {
        assertThat(problemsOf("name: a\nentity: e\nevent_time: t\n---\nname: b\nentity: e\nevent_time: t\n"
                + "fields: [{name: x, type: number, optional: maybe}]\n"))
            .containsExactly("documents[1].fields[0].optional: 'maybe' is not true or false");
    }

    @Test
    void refusesAnUnknownKeyBesideTheViewsList() {
        assertThat(problemsOf("views:\n" + CARDS + "defaults: {grace: 1m}\n"))
            .containsExactly("defaults: unknown key beside views; put each view's keys inside its entry of the "
                + "views list");
    }

    @Test
    void refusesAnEmptyFile() {
        assertThat(problemsOf("# nothing\n")).singleElement().asString().startsWith("(document): empty");
    }

    @Test
    void singleViewParseRefusesAFileWithTwoViews() {
        assertThatThrownBy(() -> FeatureViewParser.parse("views:\n" + CARDS + MERCHANTS, "f.yaml"))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessage("Feature view f.yaml is invalid: (document): holds 2 views where one was expected");
    }

    @Test
    void theRepositorysExampleViewFilesAreValid() {
        Path examples = Path.of("..", "examples");

        assertThat(FeatureViewParser.parseAll(examples.resolve("transactions.yaml"))).hasSize(1);
        assertThat(FeatureViewParser.parseAll(examples.resolve("views.yaml"))).extracting(v -> v.view().name())
            .containsExactly("transactions", "channels");
    }

    private static List<String> problemsOf(String yaml) {
        try {
            FeatureViewParser.parseAll(yaml, null);
        } catch (InvalidFeatureViewException e) {
            return e.problems();
        }
        throw new AssertionError("The views were accepted:\n" + yaml);
    }
}
