package dev.freshet.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.freshet.proto.features.v1.FeatureVector;
import dev.freshet.testing.EmbeddedKafkaExtension;
import dev.freshet.testing.KafkaTestCluster;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Health after a (re)start: SERVING only with a model loaded and the feature replica caught up. */
@ExtendWith(EmbeddedKafkaExtension.class)
class HealthIT {
    private static final int ENTITIES = 20_000;

    @Test
    void afterARestartHealthIsServingOnlyOnceEveryStoredEntityIsReplicated(KafkaTestCluster cluster,
                                                                           @TempDir Path stateDir) {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.publish(1, 0, TestModels.trainedModelBytes(2));
            fixture.awaitServing(1);
            List<Map.Entry<byte[], byte[]>> vectors = new ArrayList<>();
            for (int i = 0; i < ENTITIES; i++) {
                vectors.add(Map.entry(("transactions/e-" + i).getBytes(StandardCharsets.UTF_8),
                    FeatureVector.newBuilder().setEntityId("e-" + i).setView("transactions")
                        .putValues("velocity", 0.5).build().toByteArray()));
            }
            cluster.produceBytes(fixture.prefix + "features", vectors);

            fixture.stop();
            fixture.start();
            KafkaTestCluster.await("health SERVING after the restart", ServingFixture.TIMEOUT,
                () -> fixture.healthStatus() == ServingStatus.SERVING);

            assertThat(fixture.server.stats().featureVectorsReplicated()).isGreaterThanOrEqualTo(ENTITIES);
            assertThat(fixture.predictions.predict(ServingFixture.request("e-" + (ENTITIES - 1)).build())
                .getEntityKnown()).as("the last entity written before the restart").isTrue();
        }
    }

    @Test
    void withTheReplicaCaughtUpButNoModelHealthStaysNotServing(KafkaTestCluster cluster, @TempDir Path stateDir) {
        try (ServingFixture fixture = new ServingFixture(cluster, stateDir)) {
            fixture.putViewFeatures("transactions", "u-1", 1_000, Map.of("velocity", 0.5));
            KafkaTestCluster.await("features replicated", ServingFixture.TIMEOUT,
                () -> fixture.server.stats().featureVectorsReplicated() >= 1);

            assertThat(fixture.healthStatus()).isEqualTo(ServingStatus.NOT_SERVING);
        }
    }
}
