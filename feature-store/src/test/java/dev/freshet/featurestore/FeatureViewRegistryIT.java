package dev.freshet.featurestore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.AbstractMap.SimpleEntry;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse.AppliedView;
import dev.freshet.proto.features.v1.ApplyFeatureViewsResponse.Change;
import dev.freshet.proto.features.v1.FeatureViewRecord;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedKafkaExtension.class)
class FeatureViewRegistryIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String CARDS = """
          - name: cards
            entity: entity_id
            event_time: event_time
            fields: [{name: amount, type: number}]
            aggregations: [{name: amount_sum_1h, function: sum, field: amount, window: 1h}]
        """;
    static final String MERCHANTS = """
          - name: merchants
            entity: merchant_id
            event_time: event_time
            fields: [{name: amount, type: number}]
            aggregations: [{name: events_1h, function: count, window: 1h}]
        """;

    private KafkaTestCluster cluster;
    private String prefix;

    @BeforeEach
    void createRegistry(KafkaTestCluster cluster) {
        this.cluster = cluster;
        this.prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "feature-views");
    }

    @Test
    void applyingAFilePublishesOnlyTheViewsThatChanged() {
        assertThat(apply("views:\n" + CARDS + MERCHANTS)).extracting(AppliedView::getName, AppliedView::getVersion,
            AppliedView::getChange).containsExactly(
                org.assertj.core.groups.Tuple.tuple("cards", 1, Change.CREATED),
                org.assertj.core.groups.Tuple.tuple("merchants", 1, Change.CREATED));

        List<AppliedView> again = apply("views:\n" + CARDS + MERCHANTS.replace("window: 1h}", "window: 2h}"));

        assertThat(again).extracting(AppliedView::getName, AppliedView::getVersion, AppliedView::getChange)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("cards", 1, Change.UNCHANGED),
                org.assertj.core.groups.Tuple.tuple("merchants", 2, Change.UPDATED));
        List<FeatureViewRecord> registered = FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), TIMEOUT);
        assertThat(registered).extracting(FeatureViewRecord::getName, FeatureViewRecord::getVersion,
            FeatureViewRecord::getState, FeatureViewRecord::getAppliedBy).containsExactly(
                org.assertj.core.groups.Tuple.tuple("cards", 1, FeatureViewRecord.State.ACTIVE, "alice"),
                org.assertj.core.groups.Tuple.tuple("merchants", 2, FeatureViewRecord.State.BACKFILLING, "alice"));
        // v1 serves until v2 has been backfilled by a running feature store.
        assertThat(registered.get(1).getServing().getVersion()).isEqualTo(1);
        assertThat(FeatureViewRegistry.viewOf(registered.get(1)).aggregations().get(0).window())
            .isEqualTo(Duration.ofHours(2));
    }

    @Test
    void aRefusedFileRegistersNothing() {
        assertThatThrownBy(() -> apply("views:\n" + CARDS + MERCHANTS.replace("type: number", "type: float")))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessage("Feature view views.yaml is invalid: views[1].fields[0].type: 'float' is not one of number, "
                + "string, boolean");

        assertThat(FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), TIMEOUT)).isEmpty();
    }

    @Test
    void refusesAViewWhoseFeatureARegisteredViewOfTheSameEntityHas() {
        apply("views:\n" + CARDS);

        assertThatThrownBy(() -> apply("views:\n" + CARDS.replace("name: cards", "name: cards_too")
                .replace("amount_sum_1h", "amount_sum_2h")))
            .isInstanceOf(InvalidFeatureViewException.class)
            .hasMessageContaining("views[0].fields[0].name: feature 'amount' is also defined by registered view "
                + "'cards' of the same entity 'entity_id'");
        assertThat(FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), TIMEOUT))
            .extracting(FeatureViewRecord::getName).containsExactly("cards");
    }

    @Test
    void aSampleOfTheNewestEventsSaysWhatEachViewWouldDeadLetterAsTheStoreWould() {
        cluster.createTopics(prefix + "events");
        long t0 = System.currentTimeMillis() - 3 * 3_600_000;
        cluster.produceStrings(prefix + "events", List.of(
            new SimpleEntry<>("u-1", event("u-1", t0 + 2 * 3_600_000, "12.5")),
            new SimpleEntry<>("u-1", event("u-1", t0, "1")),
            new SimpleEntry<>("u-2", event("u-2", t0, "\"ten\"")),
            new SimpleEntry<>("u-2", event("u-2", t0 + 1_000, "3"))));

        List<FeatureViewRegistry.EventSample> samples = FeatureViewRegistry.sample(Map.of("bootstrap.servers",
            cluster.bootstrapServers(), "topics.prefix", prefix), "views:\n" + CARDS + MERCHANTS, "views.yaml", 1000,
            TIMEOUT);

        assertThat(samples).extracting(FeatureViewRegistry.EventSample::view,
                FeatureViewRegistry.EventSample::events, FeatureViewRegistry.EventSample::deadLetteredCount)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("cards", 4L, 2L),
                org.assertj.core.groups.Tuple.tuple("merchants", 4L, 4L));
        // u-1's second event is 2h older than its first: too late for the 1h window, as the store would judge it.
        assertThat(samples.get(0).deadLettered()).containsOnlyKeys("LATE_EVENT", "WRONG_TYPE");
        assertThat(samples.get(0).deadLettered().get("LATE_EVENT").example()).startsWith("partition 0 offset 1: event "
            + "time " + t0 + " is 7200000 ms older than entity 'u-1''s newest event time");
        assertThat(samples.get(0).deadLettered().get("WRONG_TYPE").example()).isEqualTo("partition 0 offset 2: the "
            + "field 'amount' is a string (\"ten\"); expected a number");
        assertThat(samples.get(1).deadLettered().get("MISSING_FIELD").count()).isEqualTo(4);
        assertThat(FeatureViewRegistry.list(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix",
            prefix), TIMEOUT)).isEmpty();
    }

    private static String event(String entity, long timeMs, String amount) {
        return "{\"entity_id\":\"" + entity + "\",\"event_time\":" + timeMs + ",\"amount\":" + amount + "}";
    }

    private List<AppliedView> apply(String yaml) {
        return FeatureViewRegistry.apply(Map.of("bootstrap.servers", cluster.bootstrapServers(), "topics.prefix", prefix), yaml, "views.yaml", "alice", false,
            TIMEOUT).getViewsList();
    }
}
