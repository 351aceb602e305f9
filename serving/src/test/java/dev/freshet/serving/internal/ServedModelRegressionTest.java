package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;

/** A regression version (what the trainer publishes with trainer.task=regression) is served: value as label. */
class ServedModelRegressionTest {
    @Test
    void aRegressionAnswersWithItsValueAsLabelAndScore() {
        ServedModel served = ServedModel.ofRegression("price", 3, ModelVersion.Origin.ONLINE, TestRegressions.line());

        Prediction<Label> prediction = served.score(Map.of("x", 1.0, "unknown", 5.0));

        assertThat(prediction.getOutput().getScore()).isCloseTo(3.0, within(0.3));
        assertThat(Double.parseDouble(prediction.getOutput().getLabel())).isEqualTo(prediction.getOutput().getScore());
        assertThat(prediction.getOutputScores()).isEmpty();
    }
}
