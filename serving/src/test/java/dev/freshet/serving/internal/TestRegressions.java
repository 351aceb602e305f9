package dev.freshet.serving.internal;

import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.linear.LinearSGDTrainer;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/** Small Tribuo regression models, as the trainer publishes with trainer.task=regression. */
final class TestRegressions {
    private TestRegressions() {
    }

    /** A linear regression of one feature, {@code x}, learned from y = 2x + 1. */
    static Model<Regressor> line() {
        RegressionFactory factory = new RegressionFactory();
        MutableDataset<Regressor> data = new MutableDataset<>(new SimpleDataSourceProvenance("test", factory),
            factory);
        for (int i = 0; i < 200; i++) {
            double x = (i % 20) / 10.0;
            data.add(new ArrayExample<>(new Regressor("value", 2 * x + 1), new String[] {"x"}, new double[] {x}));
        }
        return new LinearSGDTrainer(new SquaredLoss(), new AdaGrad(0.5), 50, 1L).train(data);
    }
}
