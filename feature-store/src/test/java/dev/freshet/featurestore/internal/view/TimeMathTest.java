package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimeMathTest {
    @Test
    void addsAndSubtractsExactlyWithinRange() {
        assertThat(TimeMath.plus(1_764_000_000_000L, 600_000)).isEqualTo(1_764_000_600_000L);
        assertThat(TimeMath.minus(1_764_000_000_000L, 600_000)).isEqualTo(1_763_999_400_000L);
        assertThat(TimeMath.plus(Long.MAX_VALUE - 1, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(TimeMath.minus(Long.MIN_VALUE + 1, 1)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void saturatesInsteadOfWrapping() {
        assertThat(TimeMath.plus(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(TimeMath.plus(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
        assertThat(TimeMath.minus(Long.MIN_VALUE, 1)).isEqualTo(Long.MIN_VALUE);
        assertThat(TimeMath.minus(Long.MAX_VALUE, -1)).isEqualTo(Long.MAX_VALUE);
        assertThat(TimeMath.minus(0, Long.MIN_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(TimeMath.minus(-1, Long.MIN_VALUE)).isEqualTo(Long.MAX_VALUE);
    }
}
