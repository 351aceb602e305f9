package dev.freshet.featurestore.internal.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The view's pass-through fields in the platform's one encoding (the contract itself is tested in contracts). */
class FieldEncodingTest {
    private final FeatureComputer computer = new FeatureComputer(Views.transactions());

    @Test
    void encodesNumbersBooleansAndOneHotStrings() {
        Map<String, Double> out = new HashMap<>();

        computer.encodeFields(Map.of("amount", 12.5, "velocity", 0.3, "channel", "web", "is_new_device", true), out);

        assertThat(out).containsExactlyInAnyOrderEntriesOf(
            Map.of("amount", 12.5, "velocity", 0.3, "channel=web", 1.0, "is_new_device", 1.0));
    }

    @Test
    void encodesFalseAsZero() {
        Map<String, Double> out = new HashMap<>();

        computer.encodeFields(Map.of("is_new_device", false), out);

        assertThat(out).containsExactly(Map.entry("is_new_device", 0.0));
    }

    @Test
    void leavesOutAbsentValues() {
        Map<String, Double> out = new HashMap<>();

        computer.encodeFields(Map.of("amount", 3.0), out);

        assertThat(out).containsExactly(Map.entry("amount", 3.0));
    }
}
