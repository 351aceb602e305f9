package dev.freshet.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.features.v1.TrainingExample;
import dev.freshet.proto.registry.v1.ModelVersion;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import dev.freshet.trainer.testing.PublishedVersions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** How often the trainer cuts versions at a steady pace and at a trickle, over Kafka. */
@ExtendWith(EmbeddedKafkaExtension.class)
class PublishPaceIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private static String createTopics(KafkaTestCluster cluster) {
        String prefix = KafkaTestCluster.uniquePrefix();
        cluster.createTopics(prefix + "training-examples", prefix + "models", prefix + "commands");
        return prefix;
    }

    private static Map<String, Object> props(KafkaTestCluster cluster, String prefix) {
        Map<String, Object> props = new HashMap<>();
        props.put("bootstrap.servers", cluster.bootstrapServers());
        props.put("topics.prefix", prefix);
        return props;
    }

    private static void produce(KafkaTestCluster cluster, String prefix, int from, int n) {
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            double x = (i % 11) - 5;
            records.add(Map.entry("k".getBytes(StandardCharsets.UTF_8), TrainingExample.newBuilder()
                .setRequestId("r-" + i).putFeatures("x", x).setLabel(x > 0 ? "1" : "0").build().toByteArray()));
        }
        cluster.produceBytes(prefix + "training-examples", records);
    }

    @Test
    void atASteadyPaceEveryVersionCoversAtLeastTheMinimum(KafkaTestCluster cluster) throws InterruptedException {
        String prefix = createTopics(cluster);
        Map<String, Object> props = props(cluster, prefix);
        props.put("trainer.publish.every.examples", 100_000);
        props.put("trainer.publish.interval.ms", 100L);
        props.put("trainer.publish.min.examples", 100);
        props.put("trainer.publish.max.delay.ms", 600_000L);
        try (Trainer trainer = Trainer.start(props)) {
            // Batches of 20 spread over time: at 100 ms intervals, publishing per interval would cut small versions.
            for (int batch = 0; batch < 50; batch++) {
                produce(cluster, prefix, batch * 20, 20);
                Thread.sleep(20);
            }
            KafkaTestCluster.await("all 1000 examples learned", TIMEOUT, () -> trainer.stats().examplesSeen() == 1000);
            List<ModelVersion> versions = PublishedVersions.await(cluster, prefix + "models",
                (int) trainer.stats().versionsPublished(), TIMEOUT);

            assertThat(versions).isNotEmpty().allSatisfy(v -> assertThat(v.getMetricsMap()
                .get("examples_since_parent")).isGreaterThanOrEqualTo(100.0));
        }
    }

    @Test
    void aTrickleReachesAVersionOnceItsFirstExampleWaitedTheMaximumDelay(KafkaTestCluster cluster) {
        String prefix = createTopics(cluster);
        Map<String, Object> props = props(cluster, prefix);
        props.put("trainer.publish.max.delay.ms", 1000L);
        try (Trainer trainer = Trainer.start(props)) {
            produce(cluster, prefix, 0, 5);

            ModelVersion v1 = PublishedVersions.await(cluster, prefix + "models", 1, TIMEOUT).get(0);

            assertThat(v1.getMetricsMap()).containsEntry("examples_since_parent", 5.0)
                .containsEntry("examples_seen_since_parent", 5.0);
        }
    }
}
