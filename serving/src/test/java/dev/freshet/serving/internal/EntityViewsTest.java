package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.features.v1.FeatureVector;
import org.junit.jupiter.api.Test;

class EntityViewsTest {

    @Test
    void encodedViewsDecodeToTheSameViewsAndTheirMergedValues() throws Exception {
        EntityViews views = EntityViews.empty()
            .with("transactions", vector(1_000, Map.of("amount_mean_10m", 3.0)))
            .with("profile", vector(2_000, Map.of("age_days", 40.0)));

        byte[] stored = views.encode(new ArrayList<>());

        assertThat(EntityViews.mergedValues(stored, 0)).isEqualTo(Map.of("amount_mean_10m", 3.0, "age_days", 40.0));
        assertThat(EntityViews.decode(stored).without("profile").merged(new ArrayList<>()))
            .isEqualTo(Map.of("amount_mean_10m", 3.0));
    }

    @Test
    void onAClashTheViewWithTheNewerEventTimeWinsAndTheClashIsReported() {
        List<String> clashes = new ArrayList<>();

        Map<String, Double> merged = EntityViews.empty()
            .with("b", vector(1_000, Map.of("score", 1.0)))
            .with("a", vector(2_000, Map.of("score", 2.0)))
            .merged(clashes);

        assertThat(merged).isEqualTo(Map.of("score", 2.0));
        assertThat(clashes).containsExactly("feature 'score' is defined by views 'b' and 'a'; using 'a' (newer)");
    }

    @Test
    void theLegacyUnnamedViewCountsOnlyWhileNoNamedViewHasWritten() {
        EntityViews legacy = EntityViews.empty().with(EntityViews.LEGACY_VIEW, vector(5_000, Map.of("old", 1.0)));

        assertThat(legacy.merged(new ArrayList<>())).isEqualTo(Map.of("old", 1.0));
        assertThat(legacy.with("transactions", vector(1_000, Map.of("new", 2.0))).merged(new ArrayList<>()))
            .isEqualTo(Map.of("new", 2.0));
    }

    private static FeatureVector vector(long eventTimeMs, Map<String, Double> values) {
        return FeatureVector.newBuilder().setEventTimeMs(eventTimeMs).putAllValues(values).build();
    }
}
