package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.freshet.proto.serving.v1.PredictResponse;
import dev.freshet.proto.serving.v1.PredictionLogEntry;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tribuo.MutableDataset;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;
import org.tribuo.regression.sgd.linear.LinearSGDTrainer;
import org.tribuo.regression.sgd.objectives.SquaredLoss;

/** The trainer's regression versions (trainer.task=regression) are served: the value as label and score. */
@ExtendWith(EmbeddedKafkaExtension.class)
class RegressionServingIT {
    @Test
    void servesARegressionVersion(KafkaTestCluster cluster, @TempDir Path stateDir) {
        RegressionFactory factory = new RegressionFactory();
        MutableDataset<Regressor> data = new MutableDataset<>(new SimpleDataSourceProvenance("test", factory),
            factory);
        for (int i = 0; i < 200; i++) {
            double amount = (i % 20) / 20.0;
            data.add(new ArrayExample<>(new Regressor("value", 10 * amount + 2), new String[] {"amount"},
                new double[] {amount}));
        }
        byte[] model = new LinearSGDTrainer(new SquaredLoss(), new AdaGrad(0.5), 100, 1L).train(data)
            .serialize().toByteArray();
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.publish(1, 0, model);
            fixture.awaitServing(1);

            PredictResponse response = fixture.predictions.predict(ServingFixture.request("u-1")
                .setRequestId("regression-1").build());

            assertThat(response.getModelVersion()).isEqualTo(1);
            assertThat(response.getValue()).isCloseTo(10 * 0.8 + 2, within(1.0));
            assertThat(response.getScore()).isEqualTo(response.getValue());
            assertThat(Double.parseDouble(response.getLabel())).isEqualTo(response.getValue());
            assertThat(response.getClassProbabilitiesMap()).isEmpty();
            PredictionLogEntry logged = fixture.cluster.consumeUntil(fixture.prefix + "predictions",
                    records -> records.stream().anyMatch(record -> isRegressionOne(record.value())),
                    ServingFixture.TIMEOUT).stream()
                .filter(record -> isRegressionOne(record.value())).map(record -> parse(record.value()))
                .findFirst().orElseThrow();
            assertThat(logged.getValue()).isEqualTo(response.getValue());
        }
    }

    private static boolean isRegressionOne(byte[] value) {
        return parse(value).getRequestId().equals("regression-1");
    }

    private static PredictionLogEntry parse(byte[] value) {
        try {
            return PredictionLogEntry.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
