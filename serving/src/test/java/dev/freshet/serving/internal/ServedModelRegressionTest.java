package dev.freshet.serving.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

import dev.freshet.proto.registry.v1.ModelVersion;
import org.junit.jupiter.api.Test;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.linear.LinearSGDTrainer;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/** A regression version (what the trainer publishes with trainer.task=regression) is served: value as label. */
class ServedModelRegressionTest {
    @Test
    void aRegressionAnswersWithItsValueAsLabelAndScore() {
        RegressionFactory factory = new RegressionFactory();
        MutableDataset<Regressor> data = new MutableDataset<>(new SimpleDataSourceProvenance("test", factory),
            factory);
        for (int i = 0; i < 200; i++) {
            double x = (i % 20) / 10.0;
            data.add(new ArrayExample<>(new Regressor("value", 2 * x + 1), new String[] {"x"}, new double[] {x}));
        }
        Model<Regressor> model = new LinearSGDTrainer(new SquaredLoss(), new AdaGrad(0.5), 50, 1L).train(data);
        ServedModel served = ServedModel.ofRegression("price", 3, ModelVersion.Origin.ONLINE, model);

        Prediction<Label> prediction = served.score(Map.of("x", 1.0, "unknown", 5.0));

        assertThat(prediction.getOutput().getScore()).isCloseTo(3.0, within(0.3));
        assertThat(Double.parseDouble(prediction.getOutput().getLabel())).isEqualTo(prediction.getOutput().getScore());
        assertThat(prediction.getOutputScores()).isEmpty();
    }
}
