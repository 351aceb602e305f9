package dev.freshet.trainer;

import dev.freshet.trainer.testing.PublishedVersions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.tribuo.Model;
import org.tribuo.impl.ArrayExample;
import org.tribuo.protos.core.ModelProto;
import org.tribuo.regression.RegressionFactory;
import org.tribuo.regression.Regressor;

/** A regression model described by a model spec, learned through Kafka and published as a Tribuo regression model. */
@ExtendWith(EmbeddedKafkaExtension.class)
class RegressionIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void learnsALinearStreamFromASpecAndRecordsTheSpecInEveryVersion(KafkaTestCluster cluster, @TempDir Path dir)
            throws Exception {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands",
            prefix + "command-acks");
        Path spec = Files.writeString(dir.resolve("basket.yaml"), """
            name: basket-value
            version: 2
            feature_view: {name: baskets, version: 5}
            label: {field: value}
            task: regression
            objective: huber
            huber_delta: 5.0
            publish: {every_examples: 1000, interval: 10m}
            """);
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        props.put("trainer.spec.file", spec.toString());
        Random random = new Random(5);
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            double items = 1 + random.nextInt(20);
            double price = 5 + 45 * random.nextDouble();
            double value = 0.8 * items * 10 + 2 * price + 15 + 0.5 * random.nextGaussian();
            records.add(Map.entry("b".getBytes(StandardCharsets.UTF_8), TrainingExample.newBuilder()
                .setRequestId("r-" + i).putFeatures("items", items).putFeatures("price", price)
                .setLabel(Double.toString(value)).setLabelArrivedAtMs(i).build().toByteArray()));
        }

        try (Trainer trainer = Trainer.start(props)) {
            cluster.produceBytes(prefix + "training-examples", records);
            List<ModelVersion> published = PublishedVersions.await(cluster, prefix + "models", 4, TIMEOUT);
            ModelVersion v4 = published.get(3);

            assertThat(v4.getModel()).isEqualTo("basket-value");
            assertThat(v4.getSpec().getVersion()).isEqualTo(2);
            assertThat(v4.getSpec().getFeatureView()).isEqualTo("baskets");
            assertThat(v4.getSpec().getFeatureViewVersion()).isEqualTo(5);
            assertThat(v4.getSpec().getText()).contains("huber_delta: 5.0");
            assertThat(v4.getHyperparametersMap()).containsEntry("objective", "huber")
                .containsEntry("huber_delta", "5.0").containsEntry("feature_view", "baskets v5");
            // Prequential: every error is from a prediction made before learning its example.
            assertThat(v4.getMetricsMap().get("prequential_mae_window")).isLessThan(1.5);
            assertThat(v4.getMetricsMap().get("prequential_rmse_window")).isLessThan(2.0);
            assertThat(published.get(0).getMetricsMap()
                .get("prequential_mae_since_parent")).as("the first thousand, learning from scratch")
                .isGreaterThan(v4.getMetricsMap().get("prequential_mae_since_parent"));

            Model<?> model = Model.deserialize(ModelProto.parseFrom(v4.getTribuoModel()));
            assertThat(model.validate(Regressor.class)).isTrue();
            @SuppressWarnings("unchecked")
            Model<Regressor> regression = (Model<Regressor>) model;
            double predicted = regression.predict(new ArrayExample<>(RegressionFactory.UNKNOWN_REGRESSOR,
                new String[] {"items", "price"}, new double[] {10, 20})).getOutput().getValues()[0];
            assertThat(predicted).isCloseTo(80 + 40 + 15, within(2.0));
            assertThat(model.getProvenance().getInstanceProvenance().getMap()).containsKeys(
                "freshet-model-spec", "freshet-feature-view");
        }
    }
}
