package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
    @ParameterizedTest
    @CsvSource({"500ms, PT0.5S", "30s, PT30S", "10m, PT10M", "1h, PT1H", "1d, PT24H", "0s, PT0S", "' 2m ', PT2M"})
    void readsEveryUnit(String text, Duration expected) {
        assertThat(Durations.parse(text)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10x", "10", "ms", "-5s", "1.5h", "1H", "1 h", "PT1H", "", "10mins"})
    void refusesWhatIsNotAWholeNumberAndAUnitNamingTheForms(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("'" + text + "' is not a duration; use a whole number and a unit, e.g. 500ms, 30s, "
                + "10m, 1h, 1d");
    }

    @Test
    void acceptsUpToTenYearsInEveryUnit() {
        assertThat(Durations.parse("3650d")).isEqualTo(Durations.MAX);
        assertThat(Durations.parse("87600h")).isEqualTo(Durations.MAX);
        assertThat(Durations.parse(Durations.MAX.toMillis() + "ms")).isEqualTo(Durations.MAX);
    }

    @ParameterizedTest
    @ValueSource(strings = {"3651d", "87601h", "315360000001ms", "999999999999999999d", "106751991167301d"})
    void refusesLongerThanTenYearsRatherThanOverflowing(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("'" + text + "' is longer than ")
            .hasMessageEndingWith(" (ten years), the longest duration accepted");
    }

    @Test
    void refusesANumberTooLongForALong() {
        assertThatThrownBy(() -> Durations.parse("9999999999999999999d"))
            .hasMessageContaining("is not a duration");
    }
}
