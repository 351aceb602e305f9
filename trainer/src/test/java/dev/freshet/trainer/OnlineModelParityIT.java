package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
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
import dev.freshet.trainer.testing.PublishedVersions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The same training examples through the trainer over Kafka and through {@link OnlineModel} in-process give the
 * same figures, to the last bit: a backtest with OnlineModel computes what the platform computes. Since every
 * prediction is made with the weights of the step before, equal log losses over every example mean equal weights
 * at every step.
 */
@ExtendWith(EmbeddedKafkaExtension.class)
class OnlineModelParityIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int LEARNED = 1500;

    private final Random random = new Random(7);

    /** A stream of LEARNED learnable examples with, early on, some the trainer must skip. */
    private List<TrainingExample> stream(boolean regression) {
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; i < LEARNED; i++) {
            double amount = 5000 + 1500 * random.nextGaussian();
            boolean web = random.nextBoolean();
            double score = (amount - 5000) / 1500 + (web ? 1 : -1);
            TrainingExample.Builder b = TrainingExample.newBuilder().setRequestId("r-" + i).setEntityId("u-" + i % 7)
                .putFeatures("amount", amount).setLabelArrivedAtMs(1_000_000L + i)
                .setLabel(regression ? Double.toString(3 * score + 20 + 0.1 * random.nextGaussian())
                    : score > 0 ? "1" : "0");
            if (web) {
                b.putFeatures("channel=web", 1.0);
            }
            examples.add(b.build());
            if (i % 100 == 10) {
                examples.add(b.setRequestId("bad-label-" + i).setLabel(regression ? "high" : "2").build());
            }
            if (i % 250 == 20) {
                examples.add(b.setRequestId("nan-" + i).setLabel(regression ? "1.5" : "1")
                    .putFeatures("amount", Double.NaN).build());
            }
        }
        return examples;
    }

    private static ModelVersion throughTheTrainer(KafkaTestCluster cluster, List<TrainingExample> examples,
                                                  Map<String, Object> keys) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands");
        Map<String, Object> props = new HashMap<>(keys);
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        // One version, right after the last learnable example, covering the whole stream.
        props.put("trainer.publish.every.examples", LEARNED);
        props.put("trainer.publish.interval.ms", 600_000L);
        props.put("trainer.publish.max.delay.ms", 600_000L);
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (TrainingExample example : examples) {
            // One partition's order is the order both routes learn in.
            records.add(Map.entry("k".getBytes(StandardCharsets.UTF_8), example.toByteArray()));
        }
        try (Trainer trainer = Trainer.start(props)) {
            cluster.produceBytes(prefix + "training-examples", records);
            return PublishedVersions.await(cluster, prefix + "models", 1, TIMEOUT).get(0);
        }
    }

    private static OnlineModel inProcess(List<TrainingExample> examples, Map<String, Object> keys) {
        OnlineModel model = OnlineModel.create(keys);
        examples.forEach(model::testThenTrain);
        return model;
    }

    @Test
    void classificationGivesTheTrainersFigures(KafkaTestCluster cluster) {
        List<TrainingExample> examples = stream(false);
        Map<String, Object> keys = Map.of("trainer.optimiser", "adam");

        ModelVersion version = throughTheTrainer(cluster, examples, keys);
        OnlineModel model = inProcess(examples, keys);

        assertThat(version.getExamplesSeen()).isEqualTo(LEARNED);
        assertThat(model.metrics()).isEqualTo(version.getMetricsMap());
        assertThat(model.metrics()).containsEntry("examples_skipped_unknown_label_since_parent", 15.0)
            .containsEntry("examples_skipped_non_finite_feature_since_parent", 6.0);
    }

    @Test
    void regressionGivesTheTrainersFigures(KafkaTestCluster cluster) {
        List<TrainingExample> examples = stream(true);
        Map<String, Object> keys = Map.of("trainer.task", "regression", "trainer.objective", "huber");

        ModelVersion version = throughTheTrainer(cluster, examples, keys);
        OnlineModel model = inProcess(examples, keys);

        assertThat(model.metrics()).isEqualTo(version.getMetricsMap());
        assertThat(model.metrics()).containsEntry("examples_skipped_non_numeric_label_since_parent", 15.0);
    }
}
