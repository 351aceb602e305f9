package dev.freshet.monitor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChangeDetectorTest {
    private static ChangeDetector detector(String name) {
        return ChangeDetector.create(MonitorSettings.ChangePolicy.defaults(name));
    }

    /** Feeds Bernoulli(rate) errors; returns the 1-based index of the first alarm, or -1. */
    private static int firstAlarm(ChangeDetector d, Random random, double rate, int n) {
        for (int i = 1; i <= n; i++) {
            if (d.add(random.nextDouble() < rate ? 1 : 0)) {
                return i;
            }
        }
        return -1;
    }

    @ParameterizedTest
    @ValueSource(strings = {"page-hinkley", "adwin"})
    void staysQuietOnAStationaryErrorRate(String name) {
        assertThat(firstAlarm(detector(name), new Random(1), 0.12, 10_000)).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"page-hinkley", "adwin"})
    void detectsAnAbruptRiseWithinAFewHundredExamples(String name) {
        ChangeDetector d = detector(name);
        Random random = new Random(2);
        assertThat(firstAlarm(d, random, 0.12, 2_000)).isEqualTo(-1);

        int delay = firstAlarm(d, random, 0.45, 2_000);

        assertThat(delay).isBetween(1, 400);
        assertThat(d.lastAlarm().afterMean()).isGreaterThan(d.lastAlarm().beforeMean());
        assertThat(d.lastAlarm().statistic()).isGreaterThan(d.lastAlarm().threshold());
    }

    @Test
    void pageHinkleyIgnoresAFall() {
        ChangeDetector d = detector("page-hinkley");
        Random random = new Random(3);
        firstAlarm(d, random, 0.4, 1_000);

        assertThat(firstAlarm(d, random, 0.05, 5_000)).isEqualTo(-1);
    }

    @Test
    void adwinIgnoresAFallButShrinksItsWindow() {
        Adwin d = new Adwin(0.002, 30);
        Random random = new Random(4);
        firstAlarm(d, random, 0.4, 2_000);

        assertThat(firstAlarm(d, random, 0.05, 1_000)).isEqualTo(-1);
        assertThat(d.width()).isLessThan(1_500);
    }

    @Test
    void noneMeansNoDetector() {
        assertThat(detector("none")).isNull();
    }
}
