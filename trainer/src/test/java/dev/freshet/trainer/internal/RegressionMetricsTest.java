package dev.freshet.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RegressionMetricsTest {
    @Test
    void maeAndRmseOverTheWindowAndSinceTheVersionStarted() {
        RegressionMetrics metrics = new RegressionMetrics(2);
        metrics.record(1.0, 2.0);  // error 1
        metrics.record(0.0, -3.0); // error 3
        metrics.record(5.0, 5.0);  // error 0; the window keeps the last two

        assertThat(metrics.asVersionMetrics().get(RegressionMetrics.MAE_SINCE_PARENT)).isCloseTo(4.0 / 3,
            within(1e-12));
        assertThat(metrics.asVersionMetrics().get(RegressionMetrics.RMSE_SINCE_PARENT)).isCloseTo(
            Math.sqrt(10.0 / 3), within(1e-12));
        assertThat(metrics.windowMae()).isEqualTo(1.5);
        assertThat(metrics.windowRmse()).isCloseTo(Math.sqrt(4.5), within(1e-12));
    }

    @Test
    void theWindowSurvivesACheckpoint() {
        RegressionMetrics metrics = new RegressionMetrics(3);
        for (int i = 0; i < 5; i++) {
            metrics.record(0.0, i);
        }
        RegressionMetrics restored = new RegressionMetrics(3);

        assertThat(restored.restoreWindow(metrics.windowState())).isTrue();
        assertThat(restored.windowMae()).isEqualTo(metrics.windowMae()).isEqualTo(3.0);
        assertThat(restored.windowSize()).isEqualTo(3);
        assertThat(restored.restoreWindow(new PrequentialMetrics(3).windowState())).as("a classification window")
            .isFalse();
    }
}
