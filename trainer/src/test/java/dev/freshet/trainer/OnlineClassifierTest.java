package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class OnlineClassifierTest {
    @Test
    void learnsOnlineInProcessWithoutKafka() {
        OnlineClassifier classifier = OnlineClassifier.create(Map.of("trainer.labels", "DOWN,UP"));
        Random random = new Random(4);
        for (int i = 0; i < 3000; i++) {
            double price = 50 + 10 * random.nextGaussian();
            boolean weekend = random.nextInt(7) >= 5;
            String label = price + (weekend ? -15 : 0) > 50 ? "UP" : "DOWN";
            classifier.testThenTrain(weekend ? Map.of("price", price, "day=weekend", 1.0) : Map.of("price", price),
                label);
        }

        assertThat(classifier.examplesLearned()).isEqualTo(3000);
        assertThat(classifier.prequentialAccuracy()).isGreaterThan(0.9);
        assertThat(classifier.predictProbabilities(Map.of("price", 70.0))[classifier.labelId("UP")])
            .isGreaterThan(0.9);
    }

    @Test
    void learnsFromReusedFeatureIdArraysAsFromNames() {
        OnlineClassifier byName = OnlineClassifier.create(Map.of("trainer.labels", "0,1", "trainer.optimiser", "adam"));
        OnlineClassifier byId = OnlineClassifier.create(Map.of("trainer.labels", "0,1", "trainer.optimiser", "adam"));
        int[] ids = {byId.featureId("x"), byId.featureId("y")};
        double[] values = new double[2];
        Random random = new Random(5);
        for (int i = 0; i < 500; i++) {
            values[0] = random.nextGaussian();
            values[1] = 3 + random.nextGaussian();
            int label = values[0] + values[1] > 3 ? 1 : 0;
            String predicted = byName.testThenTrain(Map.of("x", values[0], "y", values[1]), Integer.toString(label));
            assertThat(byId.testThenTrain(ids, values, 2, label)).isEqualTo(byName.labelId(predicted));
        }
        assertThat(byId.prequentialLogLoss()).isEqualTo(byName.prequentialLogLoss());
    }

    @Test
    void refusesAnUnknownLabelAndARegressionTask() {
        OnlineClassifier classifier = OnlineClassifier.create(Map.of());

        assertThatThrownBy(() -> classifier.testThenTrain(Map.of("x", 1.0), "yes"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'yes' is not one of [0, 1]");
        assertThat(classifier.examplesLearned()).isZero();
        assertThatThrownBy(() -> OnlineClassifier.create(Map.of("trainer.task", "regression")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("trainer.task");
    }
}
