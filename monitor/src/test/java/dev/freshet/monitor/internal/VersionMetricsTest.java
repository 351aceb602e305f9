package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import dev.freshet.monitor.MonitorReport.AccuracyWindow;
import dev.freshet.monitor.MonitorReport.Calibration;
import org.junit.jupiter.api.Test;

class VersionMetricsTest {
    @Test
    void lateLabelsLandInTheWindowOfTheirPrediction() {
        VersionMetrics metrics = new VersionMetrics(10_000);
        metrics.add(1, 25_000, true, 0.9, true);
        metrics.add(1, 5_000, false, 0.9, false);
        metrics.add(2, 26_000, true, 0.2, false);

        List<AccuracyWindow> windows = metrics.windows();

        assertThat(windows).extracting(AccuracyWindow::version, AccuracyWindow::fromMs, AccuracyWindow::toMs)
            .containsExactly(org.assertj.core.groups.Tuple.tuple(1L, 0L, 10_000L),
                org.assertj.core.groups.Tuple.tuple(1L, 20_000L, 30_000L),
                org.assertj.core.groups.Tuple.tuple(2L, 20_000L, 30_000L));
    }

    @Test
    void logLossIsTheMeanNegativeLogLikelihoodOfTheLabel() {
        VersionMetrics metrics = new VersionMetrics(10_000);
        metrics.add(1, 0, true, 0.8, true);
        metrics.add(1, 1, true, 0.4, false);

        AccuracyWindow w = metrics.windows().get(0);

        assertThat(w.logLoss()).isCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, within(1e-12));
        assertThat(w.auc()).isEqualTo(1.0);
        assertThat(w.scored()).isEqualTo(2);
    }

    @Test
    void predictionsWithoutAScoreCountForAccuracyOnly() {
        VersionMetrics metrics = new VersionMetrics(10_000);
        metrics.add(1, 0, true, Double.NaN, true);

        AccuracyWindow w = metrics.windows().get(0);

        assertThat(w.accuracy()).isEqualTo(1.0);
        assertThat(w.logLoss()).isNull();
        assertThat(w.auc()).isNull();
        assertThat(metrics.calibration()).isEmpty();
    }

    @Test
    void reliabilityBinsCompareTheMeanScoreWithTheObservedRate() {
        VersionMetrics metrics = new VersionMetrics(10_000);
        for (int i = 0; i < 10; i++) {
            metrics.add(1, i, true, 0.75, i < 3);
        }

        Calibration c = metrics.calibration().get(0);

        assertThat(c.scored()).isEqualTo(10);
        assertThat(c.bins()).hasSize(10);
        assertThat(c.bins().get(7).count()).isEqualTo(10);
        assertThat(c.bins().get(7).meanScore()).isCloseTo(0.75, within(1e-12));
        assertThat(c.bins().get(7).observedRate()).isCloseTo(0.3, within(1e-12));
        assertThat(c.bins().get(0).observedRate()).isNull();
    }
}
