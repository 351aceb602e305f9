package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void chiSquaredPValueMatchesTables() {
        assertThat(Stats.chiSquaredPValue(3.841, 1)).isCloseTo(0.05, within(1e-3));
        assertThat(Stats.chiSquaredPValue(9.210, 2)).isCloseTo(0.01, within(1e-3));
        assertThat(Stats.chiSquaredPValue(18.307, 10)).isCloseTo(0.05, within(1e-3));
    }

    @Test
    void chiSquaredOfEqualProportionsIsZero() {
        double[] chi = Stats.chiSquared(new long[] {10, 30, 0}, new long[] {20, 60, 0});

        assertThat(chi[0]).isCloseTo(0, within(1e-12));
        assertThat(chi[1]).isEqualTo(1);
    }

    @Test
    void ksFindsAShiftAndNotNoise() {
        Random random = new Random(1);
        double[] a = random.doubles(1000).toArray();
        double[] b = random.doubles(1000).toArray();
        double[] shifted = random.doubles(1000).map(v -> v + 0.2).toArray();

        assertThat(Stats.ksPValue(Stats.ksStatistic(a, b), 1000, 1000)).isGreaterThan(0.01);
        assertThat(Stats.ksStatistic(a, shifted)).isCloseTo(0.2, within(0.05));
        assertThat(Stats.ksPValue(Stats.ksStatistic(a, shifted), 1000, 1000)).isLessThan(1e-10);
    }

    @Test
    void ksIgnoresTies() {
        assertThat(Stats.ksStatistic(new double[] {0, 0, 1, 1}, new double[] {0, 1})).isZero();
    }

    @Test
    void aucIsOneForSeparatedScoresAndHalfForIdentical() {
        assertThat(VersionMetrics.auc(new long[] {0, 0, 5}, new long[] {5, 0, 0})).isEqualTo(1.0);
        assertThat(VersionMetrics.auc(new long[] {0, 4, 0}, new long[] {0, 4, 0})).isEqualTo(0.5);
        assertThat(VersionMetrics.auc(new long[] {0, 4, 0}, new long[] {0, 0, 0})).isNull();
    }
}
