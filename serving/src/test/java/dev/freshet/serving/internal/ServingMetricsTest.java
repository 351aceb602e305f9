package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import java.util.stream.Collectors;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import org.junit.jupiter.api.Test;

class ServingMetricsTest {

    @Test
    void keepsSeriesForTheNewestVersionsOnly() {
        try (ServingMetrics metrics = new ServingMetrics(ServingMetrics.Listener.NONE, new Counters(), () -> ModelWatcher.Serving.NONE)) {
            for (long version = 1; version <= 25; version++) {
                metrics.predicted(version, "champion");
            }

            assertThat(versionsWithPredictions(metrics)).hasSize(ServingMetrics.VERSIONS_KEPT)
                .contains("25", "16").doesNotContain("15", "1");
        }
    }

    private static Set<String> versionsWithPredictions(ServingMetrics metrics) {
        return metrics.registry().scrape().stream()
            .filter(s -> s.getMetadata().getName().equals("freshet_serving_predictions"))
            .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
            .map(p -> p.getLabels().get("model_version"))
            .collect(Collectors.toSet());
    }
}
