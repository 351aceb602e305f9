package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import dev.freshet.proto.serving.v1.FieldValue;
import org.junit.jupiter.api.Test;

class RequestFeaturesTest {

    @Test
    void encodesNumbersBooleansAndStringsOneHot() {
        Map<String, Double> merged = RequestFeatures.mergeInto(new HashMap<>(), Map.of(
            "amount", FieldValue.newBuilder().setNumberValue(12.5).build(),
            "is_new_device", FieldValue.newBuilder().setBoolValue(false).build(),
            "channel", FieldValue.newBuilder().setStringValue("web").build()));

        assertThat(merged).isEqualTo(Map.of("amount", 12.5, "is_new_device", 0.0, "channel=web", 1.0));
    }

    @Test
    void requestFieldsWinOverStoredValues() {
        Map<String, Double> merged = RequestFeatures.mergeInto(
            new HashMap<>(Map.of("amount", 1.0, "velocity", 0.3, "channel=app", 1.0)),
            Map.of("amount", FieldValue.newBuilder().setNumberValue(2.0).build(),
                "channel", FieldValue.newBuilder().setStringValue("web").build()));

        assertThat(merged).isEqualTo(Map.of("amount", 2.0, "velocity", 0.3, "channel=web", 1.0));
    }

    @Test
    void aFieldReplacesOnlyItsOwnOneHots() {
        Map<String, Double> merged = RequestFeatures.mergeInto(
            new HashMap<>(Map.of("path=/a=b", 1.0, "pathway=x", 1.0, "path_length", 3.0)),
            Map.of("path", FieldValue.newBuilder().setStringValue("/c").build()));

        assertThat(merged).isEqualTo(Map.of("path=/c", 1.0, "pathway=x", 1.0, "path_length", 3.0));
    }
}
