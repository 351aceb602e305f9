package dev.freshet.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class FeatureEncodingTest {
    @Test
    void encodesNumbersAsThemselvesBooleansAsOneOrZeroAndStringsOneHot() {
        Map<String, Double> out = new HashMap<>();
        FeatureEncoding.encode("amount", 120.5, out);
        FeatureEncoding.encode("count", 3, out);
        FeatureEncoding.encode("is_new_device", true, out);
        FeatureEncoding.encode("is_weekend", false, out);
        FeatureEncoding.encode("channel", "web", out);
        assertThat(out).containsExactlyInAnyOrderEntriesOf(Map.of("amount", 120.5, "count", 3.0,
            "is_new_device", 1.0, "is_weekend", 0.0, "channel=web", 1.0));
    }

    @Test
    void refusesOtherTypesNamingTheField() {
        assertThatThrownBy(() -> FeatureEncoding.encode("when", new Object(), new HashMap<>()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'when'");
    }

    @Test
    void tellsWhichFieldAFeatureEncodes() {
        Set<String> fields = Set.of("channel", "amount", "a=b");
        assertThat(FeatureEncoding.encodesAnyOf("channel=app", fields::contains)).isTrue();
        assertThat(FeatureEncoding.encodesAnyOf("amount", fields::contains)).isTrue();
        assertThat(FeatureEncoding.encodesAnyOf("a=b=c", fields::contains)).isTrue();
        assertThat(FeatureEncoding.encodesAnyOf("channels=app", fields::contains)).isFalse();
        assertThat(FeatureEncoding.encodesAnyOf("velocity", fields::contains)).isFalse();
    }
}
